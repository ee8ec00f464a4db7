/** The newest `capacity` items, oldest first; the oldest is dropped when a new one arrives at capacity. */
export class SnapshotRing<T> {
  private readonly items: T[] = [];

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`ring capacity must be a positive integer, got ${capacity}`);
  }

  push(item: T): void {
    this.items.push(item);
    // 360 items: a shift is a short memmove every 10 s, simpler than index arithmetic.
    if (this.items.length > this.capacity) this.items.shift();
  }

  get size(): number {
    return this.items.length;
  }

  /** Oldest first; a copy. */
  toArray(): T[] {
    return [...this.items];
  }

  /** The newest `count` items, oldest first. */
  newest(count: number): T[] {
    return count <= 0 ? [] : this.items.slice(-count);
  }
}
