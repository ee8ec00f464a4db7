/** What the header editor starts with: the one header every operation needs, key left to the user. */
export const INITIAL_HEADERS = '{\n  "Authorization": "Bearer "\n}';

/**
 * The Authorization value of the header editor's JSON (any case of the name), or null
 * while the text is not a JSON object (the user is typing).
 */
export function authorizationOf(headersText: string | undefined): string | null {
  if (!headersText?.trim()) return '';
  let headers: unknown;
  try {
    headers = JSON.parse(headersText);
  } catch {
    return null;
  }
  if (!headers || typeof headers !== 'object' || Array.isArray(headers)) return null;
  for (const [name, value] of Object.entries(headers)) {
    if (name.toLowerCase() === 'authorization' && typeof value === 'string') return value;
  }
  return '';
}

/** "Bearer " with nothing after it: the pre-filled header before a key was pasted. */
export const lacksKey = (authorization: string | undefined): boolean => /^\s*bearer\s*$/i.test(authorization ?? '');
