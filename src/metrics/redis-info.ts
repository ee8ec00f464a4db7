/** What Metrics.cache.redis reports (RedisServerStats). */
export interface RedisServerStats {
  version: string;
  usedMemoryBytes: number;
  /** maxmemory; 0 = no limit. */
  maxMemoryBytes: number;
  /** Keys of every database (db0, db1…) summed: the server's load, not only this prefix's. */
  keys: number;
  connectedClients: number;
  evictedKeys: number;
  keyspaceHits: number;
  keyspaceMisses: number;
  /** keyspaceHits / (hits + misses), 0..1; null before any read. */
  hitRatio: number | null;
}

const KEYSPACE_DB = /^db\d+$/;

/** INFO's text as `field → value` (section headers and blank lines dropped). */
export function parseRedisInfo(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    if (line === '' || line.startsWith('#')) continue;
    const colon = line.indexOf(':');
    if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 1));
  }
  return fields;
}

/** `keys=12,expires=3,avg_ttl=0` → its keys. */
function keysOfDb(value: string): number {
  const match = /(?:^|,)keys=(\d+)/.exec(value);
  return match ? Number(match[1]) : 0;
}

/** The stats of INFO's text; a field Redis did not print counts as 0 (version: "unknown"). */
export function redisServerStats(text: string): RedisServerStats {
  const fields = parseRedisInfo(text);
  const number = (name: string) => {
    const value = Number(fields.get(name));
    return Number.isFinite(value) ? value : 0;
  };
  let keys = 0;
  for (const [name, value] of fields) if (KEYSPACE_DB.test(name)) keys += keysOfDb(value);
  const keyspaceHits = number('keyspace_hits');
  const keyspaceMisses = number('keyspace_misses');
  const reads = keyspaceHits + keyspaceMisses;
  return {
    version: fields.get('redis_version') ?? 'unknown',
    usedMemoryBytes: number('used_memory'),
    maxMemoryBytes: number('maxmemory'),
    keys,
    connectedClients: number('connected_clients'),
    evictedKeys: number('evicted_keys'),
    keyspaceHits,
    keyspaceMisses,
    hitRatio: reads === 0 ? null : keyspaceHits / reads,
  };
}
