/** How long an invalidation is kept for a replay after a failover (ms): far above Redis' replication lag. */
export const RECENT_INVALIDATIONS_MS = 5_000;
/** Tags kept at most (the oldest go first). */
const MAX_RECENT_TAGS = 10_000;

/**
 * Invalidations this instance sent lately. Redis replicates asynchronously: a new tag version
 * acknowledged by a master that dies before its replica has it is lost when the replica is
 * promoted, and entries stamped with the older version would become servable again. So
 * after anything that may be a failover (the cache's breaker opened, or the cluster's node
 * list changed) the invalidations of the last few seconds are replayed (new versions again:
 * at worst a few extra misses).
 */
export class RecentInvalidations {
  private readonly sent: Array<{ at: number; tags: readonly string[] }> = [];
  private count = 0;

  constructor(private readonly windowMs = RECENT_INVALIDATIONS_MS) {}

  note(tags: readonly string[], now = Date.now()): void {
    this.sent.push({ at: now, tags });
    this.count += tags.length;
    this.prune(now);
  }

  /** The distinct tags invalidated within the window. */
  tags(now = Date.now()): string[] {
    this.prune(now);
    return [...new Set(this.sent.flatMap((s) => s.tags))];
  }

  private prune(now: number): void {
    while (this.sent.length > 0 && (now - this.sent[0].at > this.windowMs || this.count > MAX_RECENT_TAGS)) {
      this.count -= this.sent.shift()!.tags.length;
    }
  }
}
