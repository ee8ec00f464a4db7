/**
 * Where the cache's keys live in Redis. One layout per mode, the same families in both:
 * - `c:` an entry, `l:` its single-flight lock;
 * - `t:` a tag's member set (the entry keys carrying it), `v:` the tag's version.
 *
 * Single node: `${prefix}c:${key}`, `${prefix}l:${key}`, `${prefix}t:${tag}`, `${prefix}v:${tag}`
 * (the names of earlier releases: nothing moves on upgrade).
 *
 * Cluster: every key carries a hash tag, so keys that a command or script uses together
 * share a slot while the cache as a whole spreads over every shard:
 * - an entry and its lock share `{<hash of the key>}`: `${prefix}c:{h}${key}`, `${prefix}l:{h}${key}`;
 * - a tag's set and version share `{<tag>}`: `${prefix}t:{${tag}}`, `${prefix}v:{${tag}}`.
 * A `{…}` in REDIS_PREFIX comes first and wins (Redis hashes the first one): every cache key
 * then lands on that one slot, which works but uses one shard (docs/architecture.md).
 */
export interface L2Keys {
  readonly cluster: boolean;
  entry(key: string): string;
  lock(key: string): string;
  tagSet(tag: string): string;
  tagVersion(tag: string): string;
  /** The cache key (as the caller named it) of a full entry key; undefined for anything else. */
  keyOfEntry(fullKey: string): string | undefined;
}

/** 32-bit FNV-1a in base 36: a short, brace-free, well-spread hash tag (no crypto on every read). */
export function slotTagOf(key: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i += 1) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(36);
}

export function l2Keys(prefix: string, cluster: boolean): L2Keys {
  const entryFamily = `${prefix}c:`;
  if (!cluster) {
    return {
      cluster,
      entry: (key) => entryFamily + key,
      lock: (key) => `${prefix}l:${key}`,
      tagSet: (tag) => `${prefix}t:${tag}`,
      tagVersion: (tag) => `${prefix}v:${tag}`,
      keyOfEntry: (full) => (full.startsWith(entryFamily) ? full.slice(entryFamily.length) : undefined),
    };
  }
  return {
    cluster,
    entry: (key) => `${entryFamily}{${slotTagOf(key)}}${key}`,
    lock: (key) => `${prefix}l:{${slotTagOf(key)}}${key}`,
    tagSet: (tag) => `${prefix}t:{${tag}}`,
    tagVersion: (tag) => `${prefix}v:{${tag}}`,
    keyOfEntry: (full) => {
      if (!full.startsWith(entryFamily)) return undefined;
      const close = full.indexOf('}', entryFamily.length);
      return close < 0 ? undefined : full.slice(close + 1);
    },
  };
}
