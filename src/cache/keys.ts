import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';

/** The pieces of cache keys: stable JSON of arguments and short hashes. */

/**
 * Stable JSON (sorted keys) so {a,b} and {b,a} hash alike. Written as loops: it runs for
 * every cached field of every request, and arguments mostly arrive with their keys in
 * order already, so the sort is skipped then.
 */
export function stableJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i += 1) out += (i === 0 ? '' : ',') + stableJson(value[i]);
    return `${out}]`;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  for (let i = 1; i < keys.length; i += 1) {
    if (keys[i - 1] > keys[i]) {
      keys.sort();
      break;
    }
  }
  let out = '{';
  for (const key of keys) {
    const item = record[key];
    if (item === undefined) continue;
    out += `${out.length === 1 ? '' : ','}${JSON.stringify(key)}:${stableJson(item)}`;
  }
  return `${out}}`;
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
