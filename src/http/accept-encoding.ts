/**
 * The first of `available` (in our order of preference) that an Accept-Encoding header
 * admits, or null for the identity bytes. A coding is admitted when named with q > 0,
 * or when `*` has q > 0 and it is not named with q=0 (RFC 9110 §12.5.3).
 */
export function chooseEncoding<T extends string>(header: string | string[] | undefined, available: readonly T[]): T | null {
  if (!header || available.length === 0) return null;
  const weights = new Map<string, number>();
  for (const part of (Array.isArray(header) ? header.join(',') : header).split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    if (!name) continue;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const weight = q === undefined ? 1 : Number(q.slice(2));
    weights.set(name, Number.isFinite(weight) ? weight : 0);
  }
  const wildcard = weights.get('*') ?? 0;
  return available.find((coding) => (weights.get(coding) ?? wildcard) > 0) ?? null;
}
