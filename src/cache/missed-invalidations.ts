import type { Logger } from '../logger.js';
import type { InvalidationBus } from './invalidation-bus.js';
import type { RedisStore } from './redis-store.js';

/** Distinct tags remembered before the memory gives up and remembers "everything". */
const MAX_REMEMBERED_TAGS = 10_000;
/** Tags per replayed L2 delete and per replayed message. */
const REPLAY_BATCH_TAGS = 500;

/**
 * Invalidations this instance made while Redis was unreachable: their L2 deletes and
 * their pub/sub message did not happen, so L2 and the other instances' L1 still hold
 * what they dropped. Remembered (bounded: past MAX_REMEMBERED_TAGS distinct tags,
 * "everything") and replayed — L2 delete, then publish — as soon as Redis is usable again.
 * Replaying "everything" deletes every L2 entry and tag set under the prefix and tells
 * every instance to drop its whole L1.
 */
export class MissedInvalidations {
  private readonly tags = new Set<string>();
  private everything = false;
  private replaying = false;

  constructor(
    private readonly l2: RedisStore,
    private readonly bus: InvalidationBus | null,
    private readonly logger: Logger,
    private readonly maxTags = MAX_REMEMBERED_TAGS,
  ) {}

  get pendingTags(): number {
    return this.tags.size;
  }

  get pendingEverything(): boolean {
    return this.everything;
  }

  get isEmpty(): boolean {
    return !this.everything && this.tags.size === 0;
  }

  remember(tags: readonly string[]): void {
    if (this.isEmpty) {
      this.logger.warn(
        { tags: tags.length },
        'Redis unreachable: invalidations remembered, replayed to L2 and other instances once it is usable',
      );
    }
    if (this.everything) return;
    for (const tag of tags) this.tags.add(tag);
    if (this.tags.size > this.maxTags) {
      this.logger.warn(
        { maxTags: this.maxTags },
        'too many invalidations missed during the Redis outage: all of L2 and every L1 will be dropped',
      );
      this.everything = true;
      this.tags.clear();
    }
  }

  /** Replays what is remembered while Redis stays usable; what fails stays remembered for the next time. */
  async replay(): Promise<void> {
    if (this.replaying) return;
    this.replaying = true;
    let replayedTags = 0;
    let replayedEverything = false;
    try {
      while (!this.isEmpty && !this.l2.breaker.isOpen) {
        if (this.everything) {
          this.everything = false;
          if (!(await this.replayEverything())) {
            this.everything = true;
            break;
          }
          replayedEverything = true;
          continue;
        }
        const batch = [...this.tags].slice(0, REPLAY_BATCH_TAGS);
        for (const tag of batch) this.tags.delete(tag);
        if (!(await this.replayTags(batch))) {
          this.remember(batch);
          break;
        }
        replayedTags += batch.length;
      }
    } finally {
      this.replaying = false;
    }
    if (replayedTags > 0 || replayedEverything) {
      this.logger.info({ tags: replayedTags, everything: replayedEverything }, 'invalidations missed during the Redis outage replayed');
    }
    if (!this.isEmpty) {
      this.logger.warn(
        { tags: this.tags.size, everything: this.everything },
        'replay of missed invalidations interrupted; retried when Redis is usable again',
      );
    }
  }

  /** Both leave together on the cache connection; Redis runs the delete before the publish. */
  private async replayTags(tags: string[]): Promise<boolean> {
    const [deleted, sent] = await Promise.all([this.l2.invalidate(tags), this.bus ? this.bus.send({ kind: 'tags', tags }) : true]);
    return deleted !== null && sent;
  }

  private async replayEverything(): Promise<boolean> {
    if (!(await this.l2.invalidateEverything())) return false;
    return this.bus ? this.bus.send({ kind: 'everything' }) : true;
  }
}
