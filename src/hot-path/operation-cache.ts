import { LRUCache } from 'lru-cache';
import { scopeKey, type Principal } from '../auth/principal.js';
import type { CacheOutcome } from '../cache/cache.js';
import { mergeStamps } from '../cache/tag-versions.js';
import type { TieredCache } from '../cache/tiered-cache.js';
import { buildOperationEntry, operationKey, type OperationEntry } from './operation-entry.js';

export interface OperationHit {
  entry: OperationEntry;
  /** Seconds the entry stays fresh (0 when stale). */
  maxAge: number;
  /** Seconds since the entry was stored. */
  age: number;
  stale: boolean;
  key: string;
}

/**
 * Operation entries: whole responses derived from field entries, kept in the same two
 * tiers under the tags of the fields they were built from, so any invalidation of one
 * of those tags drops them too, on every instance.
 */
export class OperationCache {
  /** Whether an operation's entries are PUBLIC or PRIVATE, learnt when one is stored. */
  private readonly scopes = new LRUCache<string, OperationEntry['scope']>({ max: 20_000 });

  constructor(
    private readonly cache: TieredCache,
    private readonly schemaVersion: string,
  ) {}

  private keyFor(hash: string, scope: OperationEntry['scope'], principal: Principal): string {
    return operationKey(this.schemaVersion, hash, scope === 'PRIVATE' ? scopeKey(principal) : 'pub');
  }

  async lookup(hash: string, principal: Principal): Promise<OperationHit | undefined> {
    const scope = this.scopes.get(hash);
    if (!scope) return undefined;
    const key = this.keyFor(hash, scope, principal);
    const found = await this.cache.peek(key);
    if (!found) return undefined;
    const now = Date.now();
    const entry = found.entry.value as OperationEntry;
    const stale = found.entry.freshUntil <= now;
    return {
      entry,
      stale,
      key,
      age: Math.floor((now - found.entry.createdAt) / 1000),
      maxAge: stale ? 0 : Math.floor((found.entry.freshUntil - now) / 1000),
    };
  }

  /**
   * Stores a response built only from fresh @cached fields: TTL = the smallest remaining
   * freshness among them, stale window = the smallest of theirs, tags = their union,
   * PRIVATE if any of them is, tag versions = the union of theirs. Returns the entry, or null when it may not be stored.
   */
  store(
    hash: string,
    principal: Principal,
    body: string,
    outcomes: readonly CacheOutcome[],
    cost: number,
    startedAt: number,
  ): { entry: OperationEntry; maxAge: number } | null {
    const now = Date.now();
    if (outcomes.length === 0 || outcomes.some((o) => o.freshUntil <= now)) return null;
    const freshUntil = Math.min(...outcomes.map((o) => o.freshUntil));
    const staleWindow = Math.min(...outcomes.map((o) => o.staleUntil - o.freshUntil));
    const tags = [...new Set(outcomes.flatMap((o) => o.tags))];
    const scope = outcomes.some((o) => o.scope === 'PRIVATE') ? 'PRIVATE' : 'PUBLIC';
    const entry = buildOperationEntry(body, scope, [...new Set(outcomes.map((o) => o.field))], cost);
    const stored = this.cache.put(this.keyFor(hash, scope, principal), entry, {
      freshUntil,
      staleUntil: freshUntil + staleWindow,
      tags,
      startedAt,
      // The union of the fields' tag versions: served from L2 only while all are current (L1 only without them).
      versions: mergeStamps(outcomes.map((o) => o.versions)),
    });
    if (!stored) return null;
    this.scopes.set(hash, scope);
    return { entry, maxAge: Math.floor((freshUntil - now) / 1000) };
  }

  countHit(entry: OperationEntry, stale: boolean): void {
    this.cache.countHits(['Operation', ...entry.fields], stale);
  }
}
