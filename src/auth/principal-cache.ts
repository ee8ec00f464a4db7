import { LRUCache } from 'lru-cache';
import type { Db } from '../db/database.js';
import { findPrincipal } from './api-keys.js';
import type { Principal } from './principal.js';

/**
 * Key → principal lookups without a database round trip per request. Revocation
 * clears the whole cache here and (through `onRevoke` listeners, e.g. Redis pub/sub)
 * on every other instance, so a revoked key stops at once; the TTL bounds the damage
 * if a revocation message is ever lost.
 */
export class PrincipalCache {
  /**
   * Keyed by the key as presented: a hit costs a map lookup, not a sha256 per request (the
   * hash is computed on a miss, to find the stored key). The raw keys stay in this
   * process's memory only, as they already are while each request is handled.
   */
  private readonly cache = new LRUCache<string, { principal: Principal | null }>({ max: 10_000, ttl: 30_000 });

  constructor(private readonly db: Db) {}

  async resolve(key: string): Promise<Principal | null> {
    const hit = this.cache.get(key);
    if (hit) return hit.principal;
    const principal = await findPrincipal(this.db, key);
    // Unknown keys are remembered briefly too, so a flood of bad keys does not reach Postgres.
    this.cache.set(key, { principal }, { ttl: principal ? undefined : 2_000 });
    return principal;
  }

  /** Drops every cached lookup here (also what a remote revocation message calls). */
  clear(): void {
    this.cache.clear();
  }

  /** Tells other instances to drop their lookups; set by app.ts when Redis pub/sub exists. */
  broadcast: (() => Promise<void>) | null = null;

  /** After a revocation: clear here and everywhere. */
  async revoked(): Promise<void> {
    this.clear();
    await this.broadcast?.();
  }
}
