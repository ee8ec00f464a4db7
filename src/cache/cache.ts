/**
 * The cache seen by the rest of the code: one interface, whichever tiers run behind
 * it (envelop's response-cache/src/cache.ts is the model).
 */

export type CacheTier = 'L1' | 'L2';

/** What is stored: the value, when it was made, until when it is fresh and until when it may be served stale. */
export interface CacheEntry<V = unknown> {
  value: V;
  /** ms epoch the value was computed. */
  createdAt: number;
  /** ms epoch until which the value is fresh. */
  freshUntil: number;
  /** ms epoch until which the value may be served stale (>= freshUntil). */
  staleUntil: number;
  tags: string[];
  /**
   * The versions of its tags read before it was computed (src/cache/tag-versions.ts): an L2
   * read serves it only while they are current. Absent when computed without Redis.
   */
  versions?: Record<string, string>;
}

/** One tier (L1 memory, L2 Redis). Stores never throw on reads: an unreachable tier is a miss. */
export interface CacheStore {
  readonly tier: CacheTier;
  get(key: string): Promise<CacheEntry | undefined> | CacheEntry | undefined;
  set(key: string, entry: CacheEntry): Promise<void> | void;
  /** Removes every entry carrying one of the tags; returns the keys removed, or null when the tier could not be reached. */
  invalidate(tags: readonly string[]): Promise<string[] | null> | string[];
  clear(): Promise<void> | void;
}

/** Where a cached field's value came from, for extensions.cache and X-Cache. */
export interface CacheOutcome {
  path: string;
  field: string;
  tier: CacheTier | 'MISS';
  /** Seconds since the value was computed (0 for a miss). */
  age: number;
  stale: boolean;
  /** The entry's tags, freshness and scope: what an operation entry built from this field inherits. */
  tags: string[];
  freshUntil: number;
  staleUntil: number;
  scope: 'PUBLIC' | 'PRIVATE';
  /** The entry's tag versions (its stamp): an operation entry built from fields carries the union of theirs. */
  versions?: Record<string, string>;
}
