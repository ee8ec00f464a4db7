import { randomBytes } from 'node:crypto';
import type { RedisClient } from '../src/redis.js';
import { afterAll, describe, expect, inject, it, vi } from 'vitest';
import type { CacheEntry } from '../src/cache/cache.js';
import { MemoryStore } from '../src/cache/memory-store.js';
import { RedisStore } from '../src/cache/redis-store.js';
import { TieredCache, type FetchOptions } from '../src/cache/tiered-cache.js';
import { splitStamped } from '../src/cache/tag-versions.js';
import type { Logger } from '../src/logger.js';
import { createFastRedis } from '../src/redis.js';
import { skipWithoutRedis } from './helpers/redis-server.js';
import { waitFor } from './helpers/wait-for.js';

/**
 * TieredCache on its own, with real stores (MemoryStore; RedisStore on the test Redis)
 * and counting compute functions: TTL, swr, stale-if-error, errors, single flight, the
 * cross-instance Redis lock and tag bookkeeping. Real clocks with 1 s TTLs; the timed
 * tests wait until the clock passes the entry's own timestamps (untilPast), and run
 * concurrently so the file takes a few seconds.
 */

const redisUrl = inject('redisUrl');
const noRedis = skipWithoutRedis(Boolean(redisUrl), 'cache-tiered (L1+L2 cases)');

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until the clock is past `at` (taken from an entry: its freshUntil, staleUntil, or createdAt plus an age). */
async function untilPast(at: number): Promise<void> {
  await waitFor(() => Date.now() > at, {
    timeoutMs: Math.max(0, at - Date.now()) + 2_000,
    intervalMs: 10,
    what: `the clock to pass ${new Date(at).toISOString()}`,
  });
}

/** The L1 entry of `key` (it must be there): its timestamps say when it turns stale or expires. */
function l1Entry(h: Harness, key: string): CacheEntry {
  const entry = h.cache.l1.get(key);
  if (!entry) throw new Error(`${key} is not in L1`);
  return entry;
}

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** A logger that remembers error lines (stale-if-error must log). */
function recordingLogger() {
  const errors: Array<{ obj: Record<string, unknown>; msg: string }> = [];
  const logger = {
    error: (obj: Record<string, unknown>, msg: string) => errors.push({ obj, msg }),
    warn: () => {},
    info: () => {},
    debug: () => {},
  };
  return { logger: logger as unknown as Logger, errors };
}

const connections: RedisClient[] = [];
afterAll(() => {
  for (const redis of connections) redis.disconnect();
});

async function connect(): Promise<RedisClient> {
  const { logger } = recordingLogger();
  const redis = createFastRedis(redisUrl, logger, 'cache-tiered-test');
  connections.push(redis);
  if (redis.status !== 'ready') await new Promise((resolve) => redis.once('ready', resolve));
  return redis;
}

type Mode = 'L1' | 'L1+L2';

interface Harness {
  cache: TieredCache;
  errors: Array<{ obj: Record<string, unknown>; msg: string }>;
  redis: RedisClient | null;
  prefix: string;
}

/** A TieredCache; with L2, on a private key prefix (`shared` to put a second instance on the same one). */
async function harness(mode: Mode, shared?: { prefix: string }): Promise<Harness> {
  const { logger, errors } = recordingLogger();
  const prefix = shared?.prefix ?? `tiered-${randomBytes(4).toString('hex')}:`;
  if (mode === 'L1') return { cache: new TieredCache(new MemoryStore(1_000_000), null, null, logger), errors, redis: null, prefix };
  const redis = await connect();
  const l2 = new RedisStore(redis, prefix, logger);
  return { cache: new TieredCache(new MemoryStore(1_000_000), l2, null, logger), errors, redis, prefix };
}

const options = (ttlSeconds: number, swrSeconds: number, tags: string[] = ['t:any']): FetchOptions => ({
  field: 'Test.field',
  ttlSeconds,
  swrSeconds,
  tags: () => tags,
});

/** A compute function that counts its calls and returns `value-<n>`. */
function counter() {
  const state = { calls: 0, compute: async () => `value-${++state.calls}` };
  return state;
}

async function l2Entry(h: Harness, key: string): Promise<CacheEntry | null> {
  const text = await h.redis!.get(`${h.prefix}c:${key}`);
  // The stored value is the entry's tag versions, a newline, the entry (src/cache/tag-versions.ts).
  return text ? (JSON.parse(splitStamped(text)!.entryJson) as CacheEntry) : null;
}

const modes: Mode[] = noRedis ? ['L1'] : ['L1', 'L1+L2'];

describe.concurrent.each(modes)('TieredCache (%s): TTL and stale-while-revalidate', (mode) => {
  it('within ttl a hit, after ttl (no swr) a miss that computes again', async () => {
    const h = await harness(mode);
    const c = counter();
    const first = await h.cache.fetch('k-ttl', options(1, 0), c.compute);
    expect(first).toEqual({ value: 'value-1', outcome: expect.objectContaining({ tier: 'MISS', age: 0, stale: false }) });
    if (h.redis) {
      const stored = await vi.waitFor(async () => (await l2Entry(h, 'k-ttl')) ?? Promise.reject(new Error('not in L2 yet')));
      expect(stored.value).toBe('value-1');
      const pttl = await h.redis.pttl(`${h.prefix}c:k-ttl`);
      expect(pttl).toBeGreaterThan(0);
      expect(pttl).toBeLessThanOrEqual(1_000);
    }
    const second = await h.cache.fetch('k-ttl', options(1, 0), c.compute);
    expect(second).toEqual({ value: 'value-1', outcome: expect.objectContaining({ tier: 'L1', stale: false }) });
    expect(c.calls).toBe(1);

    await untilPast(l1Entry(h, 'k-ttl').staleUntil);
    const third = await h.cache.fetch('k-ttl', options(1, 0), c.compute);
    expect(third).toEqual({ value: 'value-2', outcome: expect.objectContaining({ tier: 'MISS', stale: false }) });
    expect(c.calls).toBe(2);
    expect(h.cache.stats.get('Test.field')).toMatchObject({ hits: 1, misses: 2, staleHits: 0 });
  });

  it('after ttl within swr the stale value is served at once while exactly one refresh runs', async () => {
    const h = await harness(mode);
    const c = counter();
    await h.cache.fetch('k-swr', options(1, 2), c.compute);
    await untilPast(l1Entry(h, 'k-swr').freshUntil);

    const gate = deferred<string>();
    let refreshes = 0;
    const slowRefresh = () => {
      refreshes += 1;
      return gate.promise;
    };
    // The refresh has not finished (it cannot: the gate is closed), yet every caller is answered.
    const stale = await Promise.all(Array.from({ length: 5 }, () => h.cache.fetch('k-swr', options(1, 2), slowRefresh)));
    for (const result of stale) {
      expect(result).toEqual({ value: 'value-1', outcome: expect.objectContaining({ tier: 'L1', stale: true }) });
      expect(result.outcome.age).toBeGreaterThanOrEqual(1);
    }
    // Every caller has been answered, so each one's refresh decision has been taken (fetch decides
    // synchronously). A refresh calls compute once it has read its tags' versions (a Redis round
    // trip with L2): wait for that call, then make sure no second one follows.
    await vi.waitFor(() => expect(refreshes).toBe(1));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(refreshes).toBe(1);

    gate.resolve('value-refreshed');
    const fresh = await vi.waitFor(async () => {
      const result = await h.cache.fetch('k-swr', options(1, 2), slowRefresh);
      expect(result.value).toBe('value-refreshed');
      return result;
    });
    expect(fresh.outcome).toMatchObject({ tier: 'L1', stale: false });
    expect(refreshes).toBe(1);
    expect(h.cache.stats.get('Test.field')?.staleHits).toBeGreaterThanOrEqual(5);
    if (h.redis) await vi.waitFor(async () => expect((await l2Entry(h, 'k-swr'))?.value).toBe('value-refreshed'));
  });

  it('stale-if-error: a failing refresh keeps the stale value served and logs the error', async () => {
    const h = await harness(mode);
    const c = counter();
    await h.cache.fetch('k-sie', options(1, 2), c.compute);
    await untilPast(l1Entry(h, 'k-sie').freshUntil);

    let failures = 0;
    const failing = async (): Promise<string> => {
      failures += 1;
      throw new Error('Postgres is down');
    };
    const first = await h.cache.fetch('k-sie', options(1, 2), failing);
    expect(first).toEqual({ value: 'value-1', outcome: expect.objectContaining({ stale: true }) });
    await vi.waitFor(() => expect(h.errors).toHaveLength(1));
    expect(h.errors[0].msg).toMatch(/refresh failed/);
    expect((h.errors[0].obj.err as Error).message).toBe('Postgres is down');
    expect(h.errors[0].obj.key).toBe('k-sie');
    expect(h.cache.stats.get('Test.field')?.errors).toBe(1);

    // Still served (the failure did not drop or replace the entry).
    const again = await h.cache.fetch('k-sie', options(1, 2), failing);
    expect(again.value).toBe('value-1');
    await vi.waitFor(() => expect(h.errors).toHaveLength(2));
    expect(failures).toBe(2);

    // Once the source works again, the next stale read's refresh replaces the value.
    await h.cache.fetch('k-sie', options(1, 2), c.compute);
    await vi.waitFor(async () => expect((await h.cache.fetch('k-sie', options(1, 2), c.compute)).value).toBe('value-2'));
  });

  it('after ttl + swr a miss: the caller waits for a new value', async () => {
    const h = await harness(mode);
    const c = counter();
    await h.cache.fetch('k-expired', options(1, 1), c.compute);
    await untilPast(l1Entry(h, 'k-expired').staleUntil);
    const result = await h.cache.fetch('k-expired', options(1, 1), c.compute);
    expect(result).toEqual({ value: 'value-2', outcome: expect.objectContaining({ tier: 'MISS', stale: false }) });
    expect(c.calls).toBe(2);
    if (h.redis) expect((await l2Entry(h, 'k-expired'))?.value).not.toBe('value-1');
  });
});

describe.each(modes)('TieredCache (%s): errors and single flight', (mode) => {
  it('a failing compute is not cached: the next fetch computes again', async () => {
    const h = await harness(mode);
    let calls = 0;
    const flaky = async () => {
      calls += 1;
      if (calls === 1) throw new Error('first call fails');
      return 'recovered';
    };
    // Concurrent callers of the failing flight all see the error...
    const failed = await Promise.allSettled(Array.from({ length: 3 }, () => h.cache.fetch('k-err', options(60, 60), flaky)));
    expect(failed.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(calls).toBe(1);
    expect(h.cache.l1.get('k-err')).toBeUndefined();
    if (h.redis) expect(await l2Entry(h, 'k-err')).toBeNull();
    // ...and nothing was stored: the next one computes and succeeds.
    const next = await h.cache.fetch('k-err', options(60, 60), flaky);
    expect(next).toEqual({ value: 'recovered', outcome: expect.objectContaining({ tier: 'MISS' }) });
    expect(calls).toBe(2);
    expect((await h.cache.fetch('k-err', options(60, 60), flaky)).outcome.tier).toBe('L1');
    expect(calls).toBe(2);
  });

  it('50 concurrent identical misses run the compute function once', async () => {
    const h = await harness(mode);
    const gate = deferred<{ total: number }>();
    let calls = 0;
    const compute = () => {
      calls += 1;
      return gate.promise;
    };
    const pending = Array.from({ length: 50 }, () => h.cache.fetch('k-flight', options(60, 0), compute));
    await vi.waitFor(() => expect(calls).toBe(1));
    gate.resolve({ total: 42 });
    const results = await Promise.all(pending);
    expect(calls).toBe(1);
    expect(new Set(results.map((r) => r.value)).size).toBe(1);
    expect(results.every((r) => (r.value as { total: number }).total === 42 && r.outcome.tier === 'MISS')).toBe(true);
    // Afterwards a hit, still one call.
    expect((await h.cache.fetch('k-flight', options(60, 0), compute)).outcome.tier).toBe('L1');
    expect(calls).toBe(1);
  });
});

describe('TieredCache: single flight around a slow L2 read', () => {
  it("a miss whose L2 read outlasts another caller's whole computation uses that value, not a second computation", async () => {
    const { logger } = recordingLogger();
    // An L2 that never has anything and answers each read only when the test says so.
    const reads: Array<() => void> = [];
    const slowL2 = {
      errors: 0,
      get: () => new Promise<undefined>((resolve) => reads.push(() => resolve(undefined))),
      set: async () => {},
      tryLock: async () => true,
      versions: async () => ({}),
      unlock: async () => {},
      invalidate: async () => [],
      failedRecently: () => false,
      breaker: { isOpen: false },
    } as unknown as RedisStore;
    const cache = new TieredCache(new MemoryStore(1_000_000), slowL2, null, logger);
    let calls = 0;
    const compute = async () => {
      calls += 1;
      await sleep(10);
      return 'value';
    };
    const first = cache.fetch('k-race', options(60, 0), compute);
    const second = cache.fetch('k-race', options(60, 0), compute);
    await waitFor(() => reads.length === 2, { what: 'both L2 reads to start' });
    reads[0](); // the first caller's read answers: it computes and stores
    expect((await first).value).toBe('value');
    reads[1](); // the second's read answers only now, after the first's whole flight
    expect((await second).value).toBe('value');
    expect(calls).toBe(1);
  });
});

describe.skipIf(noRedis).concurrent('TieredCache: two instances on one Redis', () => {
  it("a second instance finds the first one's entry in L2 (tier L2, its age, copied into its L1)", async () => {
    const a = await harness('L1+L2');
    const b = await harness('L1+L2', a);
    await a.cache.fetch('k-shared', options(60, 0), async () => ({ n: 1 }));
    const stored = await vi.waitFor(async () => (await l2Entry(a, 'k-shared')) ?? Promise.reject(new Error('not in L2 yet')));
    await untilPast(stored.createdAt + 1_000);
    const fromB = await b.cache.fetch('k-shared', options(60, 0), async () => ({ n: 2 }));
    expect(fromB).toEqual({ value: { n: 1 }, outcome: expect.objectContaining({ tier: 'L2', stale: false }) });
    expect(fromB.outcome.age).toBeGreaterThanOrEqual(1);
    expect((await b.cache.fetch('k-shared', options(60, 0), async () => ({ n: 3 }))).outcome.tier).toBe('L1');
  });

  it("concurrent misses on two instances: the Redis lock makes the second wait for the first's value", async () => {
    const a = await harness('L1+L2');
    const b = await harness('L1+L2', a);
    const gate = deferred<string>();
    let aCalls = 0;
    let bCalls = 0;
    const fromA = a.cache.fetch('k-lock', options(60, 0), () => {
      aCalls += 1;
      return gate.promise;
    });
    // A holds the lock once its compute runs.
    await vi.waitFor(() => expect(aCalls).toBe(1));
    expect(await a.redis!.exists(`${a.prefix}l:k-lock`)).toBe(1);
    const bReads = vi.spyOn(b.cache.l2!, 'get');
    const fromB = b.cache.fetch('k-lock', options(60, 0), async () => {
      bCalls += 1;
      return 'computed by B';
    });
    // B's first L2 read is its miss; reads after it are B polling for A's value behind A's lock.
    await waitFor(() => bReads.mock.calls.length >= 2, { what: "instance B to wait on A's lock" });
    gate.resolve('computed by A');
    const [ra, rb] = await Promise.all([fromA, fromB]);
    expect(ra.value).toBe('computed by A');
    expect(rb).toEqual({ value: 'computed by A', outcome: expect.objectContaining({ tier: 'L2' }) });
    expect({ aCalls, bCalls }).toEqual({ aCalls: 1, bCalls: 0 });
    // The lock is released after the value is stored.
    await vi.waitFor(async () => expect(await a.redis!.exists(`${a.prefix}l:k-lock`)).toBe(0));
  });

  it('the wait is bounded: when the lock holder takes too long the other instance computes itself', async () => {
    const a = await harness('L1+L2');
    const b = await harness('L1+L2', a);
    const gate = deferred<string>();
    let aCalls = 0;
    const fromA = a.cache.fetch('k-slow-lock', options(60, 0), () => {
      aCalls += 1;
      return gate.promise;
    });
    await vi.waitFor(() => expect(aCalls).toBe(1));
    const started = Date.now();
    const rb = await b.cache.fetch('k-slow-lock', options(60, 0), async () => 'computed by B');
    const waited = Date.now() - started;
    expect(rb.value).toBe('computed by B');
    expect(waited).toBeGreaterThanOrEqual(1_500);
    expect(waited).toBeLessThan(3_500);
    gate.resolve('computed by A');
    await fromA;
  });

  it('invalidate counts each evicted entry once over both tiers, and a cold instance counts what L2 held', async () => {
    const a = await harness('L1+L2');
    const b = await harness('L1+L2', a);
    for (const key of ['k-inv-1', 'k-inv-2', 'k-inv-3']) {
      await a.cache.fetch(key, options(60, 0, key === 'k-inv-3' ? ['other'] : ['sales', 'both']), async () => key);
    }
    await vi.waitFor(async () => expect(await a.redis!.scard(`${a.prefix}t:sales`)).toBe(2));
    // In L1 and in L2: 2 entries, not 4; two tags naming the same entries still count them once.
    expect(await a.cache.invalidate(['sales', 'both'])).toBe(2);
    expect(await a.redis!.exists(`${a.prefix}c:k-inv-1`, `${a.prefix}c:k-inv-2`, `${a.prefix}t:sales`, `${a.prefix}t:both`)).toBe(0);
    expect(a.cache.l1.get('k-inv-1')).toBeUndefined();
    expect(await a.cache.invalidate(['sales'])).toBe(0);
    // Only in L2 (instance B never read it): B's invalidation still evicts and counts it.
    expect(await b.cache.invalidate(['other'])).toBe(1);
    expect(await a.redis!.exists(`${a.prefix}c:k-inv-3`)).toBe(0);
  });

  it('tags live in Redis sets with an expiry that covers their longest-lived entry', async () => {
    const h = await harness('L1+L2');
    await h.cache.fetch('k-tag-short', options(5, 0, ['tagged']), async () => 1);
    await h.cache.fetch('k-tag-long', options(30, 30, ['tagged']), async () => 2);
    const tagKey = `${h.prefix}t:tagged`;
    await vi.waitFor(async () => expect(await h.redis!.scard(tagKey)).toBe(2));
    expect(await h.redis!.type(tagKey)).toBe('set');
    expect(await h.redis!.smembers(tagKey)).toEqual(expect.arrayContaining([`${h.prefix}c:k-tag-short`, `${h.prefix}c:k-tag-long`]));
    const pttl = await h.redis!.pttl(tagKey);
    // Never without expiry (-1); at least the long entry's 60 s.
    expect(pttl).toBeGreaterThan(59_000);
    expect(pttl).toBeLessThanOrEqual(62_000);
  });
});
