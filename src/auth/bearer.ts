/** The key of an `Authorization: Bearer <key>` value (HTTP header or graphql-ws connectionParams), or null. */
export function bearerKey(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(value);
  return match ? match[1] : null;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The first Bearer key among `record`'s entries named `authorization` in any case (header names are case-insensitive). */
function authorizationIn(record: Record<string, unknown>): string | null {
  for (const [name, value] of Object.entries(record)) {
    if (name.toLowerCase() !== 'authorization') continue;
    const key = bearerKey(value);
    if (key) return key;
  }
  return null;
}

/**
 * The key a graphql-ws client sent in its connection_init payload. Clients differ in
 * how they pass it, so all of these count: `{ authorization: 'Bearer <key>' }` with the
 * name in any case (`Authorization`, `AUTHORIZATION`…), or the same inside a `headers`
 * object (clients that reuse their HTTP headers). Top-level wins over `headers`; null
 * when neither holds a Bearer value.
 */
export function connectionParamsKey(params: unknown): string | null {
  if (!isRecord(params)) return null;
  const direct = authorizationIn(params);
  if (direct) return direct;
  for (const [name, value] of Object.entries(params)) {
    if (name.toLowerCase() === 'headers' && isRecord(value)) {
      const nested = authorizationIn(value);
      if (nested) return nested;
    }
  }
  return null;
}
