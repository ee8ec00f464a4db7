import { LRUCache } from 'lru-cache';
import type { CacheEntry, CacheStore } from './cache.js';

/** Rough bytes of a decoded value: its JSON length ×2 (UTF-16) plus per-entry overhead. */
function estimateBytes(entry: CacheEntry, encoded?: string): number {
  const json = encoded ?? JSON.stringify(entry.value) ?? '';
  return json.length * 2 + 200 + entry.tags.reduce((sum, tag) => sum + tag.length * 2 + 50, 0);
}

/**
 * L1: an in-process LRU bounded in bytes that keeps decoded values (no JSON.parse on
 * a hit), with a tag → keys index so invalidation needs no scan.
 */
export class MemoryStore implements CacheStore {
  readonly tier = 'L1' as const;
  private readonly byTag = new Map<string, Set<string>>();
  private readonly lru: LRUCache<string, CacheEntry>;

  constructor(maxBytes: number) {
    this.lru = new LRUCache<string, CacheEntry>({
      maxSize: maxBytes,
      sizeCalculation: (entry) => Math.max(1, estimateBytes(entry)),
      // Entries expire on their own clock; the LRU only needs the hard end (stale window included).
      ttlAutopurge: false,
      dispose: (entry, key) => this.unindex(key, entry.tags),
      noDisposeOnSet: false,
    });
  }

  get size(): number {
    return this.lru.size;
  }

  get bytes(): number {
    return this.lru.calculatedSize ?? 0;
  }

  get(key: string): CacheEntry | undefined {
    const entry = this.lru.get(key);
    if (entry && entry.staleUntil <= Date.now()) {
      this.lru.delete(key);
      return undefined;
    }
    return entry;
  }

  set(key: string, entry: CacheEntry): void {
    const ttl = Math.max(1, entry.staleUntil - Date.now());
    this.lru.set(key, entry, { ttl });
    if (!this.lru.has(key)) return; // larger than the whole cache: not stored
    for (const tag of entry.tags) {
      let keys = this.byTag.get(tag);
      if (!keys) this.byTag.set(tag, (keys = new Set()));
      keys.add(key);
    }
  }

  invalidate(tags: readonly string[]): string[] {
    const removed: string[] = [];
    for (const tag of tags) {
      const keys = this.byTag.get(tag);
      if (!keys) continue;
      for (const key of [...keys]) {
        if (this.lru.delete(key)) removed.push(key);
      }
      this.byTag.delete(tag);
    }
    return removed;
  }

  delete(key: string): void {
    this.lru.delete(key);
  }

  clear(): void {
    this.lru.clear();
    this.byTag.clear();
  }

  private unindex(key: string, tags: readonly string[]): void {
    for (const tag of tags) {
      const keys = this.byTag.get(tag);
      if (!keys) continue;
      keys.delete(key);
      if (keys.size === 0) this.byTag.delete(tag);
    }
  }
}
