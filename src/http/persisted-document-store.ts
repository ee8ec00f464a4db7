import type { RedisClient } from '../redis.js';
import { LRUCache } from 'lru-cache';
import { CircuitBreaker } from '../cache/circuit-breaker.js';
import type { Logger } from '../logger.js';

/** Apollo Server prefixes every key of its APQ store with this (its APQ_CACHE_PREFIX, which it does not export). */
export const APOLLO_APQ_PREFIX = 'apq:';
/** How long a registered document is kept after it was last registered (s); a client re-registers on PERSISTED_QUERY_NOT_FOUND. */
export const PERSISTED_DOCUMENT_TTL_SECONDS = 24 * 60 * 60;
/** The in-process bound: documents, and bytes (texts are at most a 1 MB body, usually a few KB). */
const LOCAL_MAX_DOCUMENTS = 5_000;
const LOCAL_MAX_BYTES = 16 * 1024 * 1024;
/** Apollo registers only a query whose sha256 it checked, so any other key can never be found: no lookup for it. */
const APQ_KEY = /^apq:[0-9a-f]{64}$/;

/**
 * Apollo Server's store of automatic persisted queries (its `persistedQueries.cache`, a
 * KeyValueCache): hash → document text, in Redis under REDIS_PREFIX when REDIS_URL is
 * set, so every instance knows a document one of them registered, with a bounded LRU in
 * front. Documents are addressed by their content's hash, so a local copy is never
 * stale. Without Redis, or while it fails, the LRU alone serves: a request never fails
 * because Redis is down (a circuit breaker stops asking a dead Redis). The hot path
 * (src/hot-path/hot-path.ts) resolves hash-only requests from this same store.
 *
 * Apollo calls `set` only after the document parsed, validated (our limit rules
 * included) and passed every didResolveOperation hook (the cost check of
 * src/security/security.plugin.ts), so nothing that would be refused is ever stored.
 */
export class PersistedDocumentStore {
  private readonly local = new LRUCache<string, string>({
    max: LOCAL_MAX_DOCUMENTS,
    maxSize: LOCAL_MAX_BYTES,
    sizeCalculation: (text, key) => (text.length + key.length) * 2,
    ttl: PERSISTED_DOCUMENT_TTL_SECONDS * 1000,
  });
  private readonly breaker: CircuitBreaker;

  constructor(
    private readonly redis: RedisClient | null,
    private readonly prefix: string,
    private readonly logger: Logger,
  ) {
    this.breaker = new CircuitBreaker(3, 1_000, (open) =>
      open
        ? logger.warn('Redis failing for persisted queries: registered documents served from this instance only')
        : logger.info('Redis answering again: persisted queries shared by every instance'),
    );
  }

  /** The document registered under an APQ sha256 hash (hex), if any. */
  document(sha256Hash: string): Promise<string | undefined> {
    return this.get(APOLLO_APQ_PREFIX + sha256Hash);
  }

  async get(key: string): Promise<string | undefined> {
    if (!APQ_KEY.test(key)) return undefined;
    const known = this.local.get(key);
    if (known !== undefined) return known;
    const text = await this.guarded('get', () => this.redis!.get(this.prefix + key));
    if (typeof text !== 'string') return undefined;
    this.local.set(key, text);
    return text;
  }

  async set(key: string, value: string, options?: { ttl?: number | null }): Promise<void> {
    if (!APQ_KEY.test(key)) return;
    const ttl = options?.ttl ?? PERSISTED_DOCUMENT_TTL_SECONDS;
    this.local.set(key, value, { ttl: ttl * 1000 });
    await this.guarded('set', () => this.redis!.set(this.prefix + key, value, 'EX', ttl));
  }

  async delete(key: string): Promise<boolean> {
    const existed = this.local.delete(key);
    const removed = await this.guarded('delete', () => this.redis!.del(this.prefix + key));
    return existed || removed === 1;
  }

  /** A Redis command through the breaker; a failure is logged and answered as "not there". */
  private async guarded<T>(what: string, run: () => Promise<T>): Promise<T | undefined> {
    if (!this.redis || !this.breaker.allow()) return undefined;
    try {
      const result = await run();
      this.breaker.success();
      return result;
    } catch (error) {
      this.breaker.failure();
      this.logger.debug({ err: error, what }, 'Redis command for a persisted query failed; using this instance’s copy');
      return undefined;
    }
  }
}
