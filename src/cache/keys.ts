import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';

/** The pieces of cache keys: stable JSON of arguments and short hashes. */

/** Stable JSON (sorted keys) so {a,b} and {b,a} hash alike. */
export function stableJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  const keys = Object.keys(value as object)
    .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${stableJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
}

/**
 * The key part for arguments or variables: their stable JSON itself while it is short
 * (exact, and no hash to compute on every field of every request), a hash beyond that.
 */
export function argsKey(value: unknown): string {
  const json = stableJson(value);
  return json.length <= 96 ? json : hashOf(json);
}

export function hashOf(text: string): string {
  return createHash('sha1').update(text).digest('base64url').slice(0, 16);
}

/** Query texts seen lately → their hash: dashboards repeat a few texts, so most requests skip sha1. */
const queryHashes = new LRUCache<string, string>({ max: 2_000 });

/** hashOf(query), remembered per text (used by the hot path and the cost memo on every request). */
export function queryHash(query: string): string {
  let hash = queryHashes.get(query);
  if (!hash) queryHashes.set(query, (hash = hashOf(query)));
  return hash;
}
