/** The key of an `Authorization: Bearer <key>` value (HTTP header or graphql-ws connectionParams), or null. */
export function bearerKey(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(value);
  return match ? match[1] : null;
}
