import type { Logger } from '../logger.js';

/**
 * Throttles invalidation per tag with a leading and a trailing edge: the first write
 * to a tag invalidates at once (read-your-write), further writes within `windowMs`
 * are folded into one invalidation at the window's end. A burst of batches thus costs
 * one invalidation per tag per window, and no answer is stale after the window.
 */
export class InvalidationCoalescer {
  private readonly lastFlush = new Map<string, number>();
  private readonly pending = new Set<string>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly invalidate: (tags: string[]) => Promise<unknown>,
    private readonly windowMs: number,
    private readonly logger: Logger,
  ) {}

  /** Resolves once the tags that could be invalidated now are. */
  async touch(tags: readonly string[]): Promise<void> {
    const now = Date.now();
    const immediate: string[] = [];
    for (const tag of tags) {
      if (now - (this.lastFlush.get(tag) ?? 0) >= this.windowMs) {
        immediate.push(tag);
        this.lastFlush.set(tag, now);
      } else {
        this.pending.add(tag);
      }
    }
    if (this.pending.size > 0) this.timer ??= setTimeout(() => this.flushPending(), this.windowMs);
    if (immediate.length > 0) await this.invalidate(immediate);
    if (this.lastFlush.size > 100_000) this.prune(now);
  }

  private flushPending(): void {
    this.timer = null;
    const tags = [...this.pending];
    this.pending.clear();
    const now = Date.now();
    for (const tag of tags) this.lastFlush.set(tag, now);
    this.invalidate(tags).catch((error: unknown) => this.logger.error({ err: error, tags: tags.length }, 'coalesced invalidation failed'));
  }

  private prune(now: number): void {
    for (const [tag, at] of this.lastFlush) if (now - at > this.windowMs) this.lastFlush.delete(tag);
  }

  /** Flushes what is pending (shutdown). */
  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const tags = [...this.pending];
    this.pending.clear();
    if (tags.length) await this.invalidate(tags);
  }
}
