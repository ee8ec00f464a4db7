import { LRUCache } from 'lru-cache';
import type { CacheEntry, CacheStore } from './cache.js';

/**
 * Rough bytes a decoded value holds on the heap: strings 2 per character (UTF-16) plus a
 * header, numbers and other scalars a slot, objects and arrays a header plus a slot per
 * member. A walk, not JSON.stringify: the size is taken on every L1 write, which on a
 * cache miss is as often as a value is computed, and building a string only to measure
 * it cost more than the walk (and said less about the heap).
 */
export function approximateBytes(value: unknown, depth = 0): number {
  if (typeof value === 'string') return 16 + value.length * 2;
  if (value === null || typeof value !== 'object') return 8;
  if (depth > 32) return 64; // deeper than any of our values: count a slot, do not recurse forever
  if (value instanceof Date) return 32;
  let bytes = 24;
  if (Array.isArray(value)) {
    for (const item of value) bytes += 8 + approximateBytes(item, depth + 1);
    return bytes;
  }
  for (const key in value) {
    bytes += 8 + key.length * 2 + approximateBytes((value as Record<string, unknown>)[key], depth + 1);
  }
  return bytes;
}

function estimateBytes(entry: CacheEntry): number {
  return approximateBytes(entry.value) + 200 + entry.tags.reduce((sum, tag) => sum + tag.length * 2 + 50, 0);
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
