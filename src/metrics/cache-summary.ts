import type { CacheOutcome } from '../cache/cache.js';

/** What the cache did for one request, for its log line: counts only, never keys or values. */
export function cacheSummary(outcomes: readonly CacheOutcome[] | undefined): { hits: number; misses: number; stale: number } {
  let hits = 0;
  let stale = 0;
  for (const outcome of outcomes ?? []) {
    if (outcome.tier === 'MISS') continue;
    hits += 1;
    if (outcome.stale) stale += 1;
  }
  return { hits, misses: (outcomes?.length ?? 0) - hits, stale };
}
