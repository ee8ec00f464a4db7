import type { CacheOutcome } from './cache.js';

/**
 * What the cache did for one request, and the one place that answers "was everything
 * cached?": the outcome of each @cached field, and whether data was read outside every
 * @cached field's computation. The cache report (X-Cache, extensions.cache) and the
 * operation store both ask here, so they cannot disagree about the same response.
 */
export class RequestCacheRecord {
  /** One per @cached field resolved in the request, in the order they completed. */
  readonly fields: CacheOutcome[] = [];
  private readOutsideCachedFields = false;

  record(outcome: CacheOutcome): void {
    this.fields.push(outcome);
  }

  /** A field without @cached did work, or a loader or the database was reached outside a @cached computation. */
  noteUncachedRead(): void {
    this.readOutsideCachedFields = true;
  }

  /**
   * Everything in the response was served from @cached fields (at least one), with no
   * data access around them: the fields' tags cover the whole response, so it may be
   * stored whole. A field that missed counts: its entry was filled by this very request.
   */
  everythingCached(): boolean {
    return this.fields.length > 0 && !this.readOutsideCachedFields;
  }

  /** everythingCached, and every @cached field hit: nothing was computed for this response (X-Cache: HIT). */
  everythingHit(): boolean {
    return this.everythingCached() && this.fields.every((field) => field.tier !== 'MISS');
  }
}
