import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCache, type CacheRuntime } from '../src/cache/create-cache.js';
import type { FetchOptions } from '../src/cache/tiered-cache.js';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { REDIS_COMMAND_TIMEOUT_MS } from '../src/redis.js';
import { utcDaysAgo } from './helpers/dates.js';
import { dataOf, type GraphqlResponse } from './helpers/graphql-client.js';
import { redisServerInstalled, skipWithoutRedis, startRedisServer, type RedisServerProcess } from './helpers/redis-server.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';
import { waitFor } from './helpers/wait-for.js';

/**
 * Redis failing under load, against real redis-server processes this file owns (frozen
 * with SIGSTOP, killed, restarted on the same port):
 * - frozen: one request waits on Redis at most one command timeout, end to end, and the
 *   first timeout opens the breaker for everyone;
 * - killed and restarted: no read fails or waits, the breaker opens at once, L2 is in use
 *   again about a second after Redis is back;
 * - invalidations made while Redis is unreachable reach the other instance (its L1 and L2)
 *   within the stated bound once Redis is back;
 * - during an outage, L1 entries are served at most CACHE_OUTAGE_TTL_MS.
 * The machine is noisy: bounds are asserted with margins, the measured figures printed.
 */

const noRedis = skipWithoutRedis(redisServerInstalled(), 'cache-redis-faults');
/** Room for scheduling and SQL on a busy 2-core machine. */
const MARGIN_MS = 150;
/** One command timeout, plus the margin: the most a request may take with Redis frozen. */
const ONE_TIMEOUT_BOUND_MS = REDIS_COMMAND_TIMEOUT_MS + MARGIN_MS;
/** The stated bound after Redis is back: the reconnection backoff cap (1 s) and a probe round trip. */
const BACK_BOUND_MS = 1_000 + 500;

function elapsedSince(started: number): number {
  return Math.round(performance.now() - started);
}

async function timed<T>(run: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const started = performance.now();
  const result = await run();
  return { result, ms: elapsedSince(started) };
}

/** Nested cached fields on two stores: each level asks the cache after the one above answered. */
const DASHBOARD = `query ($a: ID!, $b: ID!, $range: DateRange!) {
  a: store(id: $a) { id revenue(range: $range) { total orders } trafficPatterns(range: $range) { hour orders } topProducts(range: $range, limit: 3) { unitsSold } }
  b: store(id: $b) { id revenue(range: $range) { total orders } trafficPatterns(range: $range) { hour orders } }
}`;

const CACHE_METRICS = `{ metrics { cache { breakerOpen breakerOpenings breakerLastOpenedAt breakerLastClosedAt outageSince degraded } } }`;

interface CacheMetricsAnswer {
  breakerOpen: boolean;
  breakerOpenings: number;
  breakerLastOpenedAt: string | null;
  breakerLastClosedAt: string | null;
  outageSince: string | null;
  degraded: boolean;
}

describe.skipIf(noRedis)('frozen Redis (SIGSTOP) under a running server', () => {
  let redisServer: RedisServerProcess;
  let server: TestServer;
  let stores: number[];
  let nextDay = 200;
  /** A day nobody asked for yet: every cached field of the request is a miss. */
  const freshRange = () => {
    nextDay += 1;
    return { from: utcDaysAgo(nextDay), to: utcDaysAgo(nextDay) };
  };

  beforeAll(async () => {
    redisServer = await startRedisServer();
    server = await startTestServer({
      // ADMIN is rate limited too, so every request of this test also asks Redis for its rate limit on the same connection.
      env: { REDIS_URL: redisServer.url, REDIS_PREFIX: 'faults-app:', RATE_LIMITS: 'VIEWER=1000,INGEST=1000,ADMIN=100000' },
    });
    const db = server.app.services.database.db;
    stores = (await db.selectFrom('stores').select('id').orderBy('id').execute()).map((r) => r.id);
  });
  afterAll(async () => {
    redisServer?.thaw();
    await server?.stop();
    await redisServer?.stop();
  });

  const dashboard = (range: { from: string; to: string }) =>
    server.request(DASHBOARD, { variables: { a: String(stores[0]), b: String(stores[1]), range } });
  const cacheMetrics = async () => dataOf(await server.request(CACHE_METRICS)).metrics.cache as CacheMetricsAnswer;

  it('a multi-field request waits at most one command timeout end to end; the first timeout opens the breaker; L2 is in use again soon after', async () => {
    const l2 = server.app.services.cache.l2!;
    // Entries in L1 and L2, then L1 emptied: every cached field (and the stored operation) must ask L2.
    const cachedRange = freshRange();
    const warm = await dashboard(cachedRange);
    dataOf(warm);
    await l2.get('settle'); // answered after this request's L2 writes (same connection), which it did not await
    const baseline = await timed(() => dashboard(freshRange()));
    dataOf(baseline.result);
    server.app.services.cache.l1.clear();
    // And one answer kept in L1 (a hot read: only its rate limit asks Redis).
    const hotRange = freshRange();
    const hot = await dashboard(hotRange);
    expect((await dashboard(hotRange)).headers.get('x-cache')).toBe('HIT');
    const openingsBefore = l2.breaker.openings;

    const frozenAt = Date.now();
    redisServer.freeze();
    let concurrent: Array<{ result: GraphqlResponse<any>; ms: number }>;
    const sequential: Array<{ result: GraphqlResponse<any>; ms: number }> = [];
    try {
      // A first wave while nobody knows Redis is frozen: cached entries and misses, concurrently.
      concurrent = await Promise.all([
        timed(() => dashboard(cachedRange)),
        timed(() => dashboard(freshRange())),
        timed(() => dashboard(hotRange)),
        timed(() => dashboard(cachedRange)),
        timed(() => dashboard(freshRange())),
        timed(() => dashboard(hotRange)),
      ]);
      for (let i = 0; i < 4; i += 1) sequential.push(await timed(() => dashboard(i % 2 ? cachedRange : freshRange())));
      const metrics = await cacheMetrics();
      expect(metrics).toMatchObject({ breakerOpen: true, degraded: true });
      expect(metrics.outageSince).not.toBeNull();
    } finally {
      redisServer.thaw();
    }
    const thawedAt = Date.now();
    const figures = {
      healthyMissMs: baseline.ms,
      firstWave: { inL2Only: [0, 3], misses: [1, 4], inL1: [2, 5] },
      firstWaveMs: concurrent.map((r) => r.ms),
      afterMs: sequential.map((r) => r.ms),
    };
    console.info(`frozen Redis, dashboard request (9 cached fields, 2 levels) end to end: ${JSON.stringify(figures)}`);

    for (const { result, ms } of [...concurrent, ...sequential]) {
      expect(result.body.errors, 'no failed read').toBeUndefined();
      expect(ms, `request took ${ms} ms with Redis frozen`).toBeLessThanOrEqual(ONE_TIMEOUT_BOUND_MS);
    }
    // The cached range still answers what it answered before the freeze (computed again: Redis was not reachable).
    expect(concurrent[0].result.body.data).toEqual(warm.body.data);
    expect(concurrent[2].result.body.data).toEqual(hot.body.data);
    // Opened once, by the first timeout, within one command timeout of the freeze.
    expect(l2.breaker.openings).toBe(openingsBefore + 1);
    const openedAfterMs = l2.breaker.lastOpenedAt! - frozenAt;
    expect(openedAfterMs).toBeLessThanOrEqual(ONE_TIMEOUT_BOUND_MS);

    const back = await waitFor(
      async () => {
        const metrics = await cacheMetrics();
        return !metrics.breakerOpen && metrics.breakerLastClosedAt && Date.parse(metrics.breakerLastClosedAt) >= thawedAt && metrics;
      },
      { timeoutMs: 8_000, intervalMs: 50, what: 'the breaker to close after the thaw' },
    );
    const inUseAfterMs = Date.parse(back.breakerLastClosedAt!) - thawedAt;
    console.info(`frozen Redis: breaker opened ${openedAfterMs} ms after the freeze; L2 in use again ${inUseAfterMs} ms after the thaw`);
    expect(inUseAfterMs).toBeLessThanOrEqual(BACK_BOUND_MS);
    expect(back.outageSince).toBeNull();
    expect(back.breakerOpenings).toBeGreaterThanOrEqual(1);
    expect(Date.parse(back.breakerLastOpenedAt!)).toBe(l2.breaker.lastOpenedAt);
  });
});

/** Two cache instances on one Redis, as two API processes would have them. */
describe.skipIf(noRedis)('two cache instances on one Redis that fails', () => {
  const OUTAGE_TTL_MS = 1_500;
  let redisServer: RedisServerProcess;
  let a: CacheRuntime;
  let b: CacheRuntime;
  /** The test's own view of Redis: reconnects by itself after restarts. */
  let probe: Redis;
  const prefix = 'faults-cache:';
  /** The source of truth the instances compute from: a write changes it, then invalidates its tag. */
  const truth = new Map<string, number>();

  const optionsFor = (key: string): FetchOptions => ({ field: 'Test.value', ttlSeconds: 60, swrSeconds: 0, tags: () => [`tag:${key}`] });
  const read = async (instance: CacheRuntime, key: string) => {
    const { value, outcome } = await instance.cache.fetch(key, optionsFor(key), () => truth.get(key) ?? 0);
    return { value, outcome };
  };
  /** A write on `instance`: the truth changes, then its tag is invalidated (as use-cases do). */
  const write = async (instance: CacheRuntime, key: string) => {
    truth.set(key, (truth.get(key) ?? 0) + 1);
    return timed(() => instance.cache.invalidate([`tag:${key}`]));
  };
  /** Both instances have the key in L1, and it is in L2. */
  const cacheEverywhere = async (key: string) => {
    await read(a, key);
    await a.cache.l2!.get('settle'); // after A's L2 write on the same connection
    expect((await read(b, key)).outcome.tier).toBe('L2');
    expect((await read(b, key)).outcome.tier).toBe('L1');
    expect((await read(a, key)).outcome.tier).toBe('L1');
  };
  /**
   * After Redis is back (at `backAt`): A serves the write B made during the outage within
   * BACK_BOUND_MS, and B has replayed what it could not send.
   */
  const expectWriteOnBReachesA = async (key: string, backAt: number, outage: string) => {
    await waitFor(async () => (await read(a, key)).value === 2, { timeoutMs: 5_000, intervalMs: 10, what: 'A to serve the write' });
    const freshOnAAfterMs = elapsedSince(backAt);
    await waitFor(() => b.cache.missedInvalidations.tags === 0, { timeoutMs: 5_000, what: "B's replay" });
    console.info(`${outage}: A served the write made on B during it ${freshOnAAfterMs} ms after Redis was back`);
    expect(freshOnAAfterMs).toBeLessThanOrEqual(BACK_BOUND_MS);
  };
  const untilUsable = (instance: CacheRuntime, timeoutMs = 8_000) =>
    waitFor(() => instance.cache.l2!.usable && instance.bus!.listening, {
      timeoutMs,
      intervalMs: 10,
      what: 'Redis usable and subscribed again',
    });

  beforeAll(async () => {
    redisServer = await startRedisServer();
    const config = loadConfig({ REDIS_URL: redisServer.url, REDIS_PREFIX: prefix, CACHE_OUTAGE_TTL_MS: String(OUTAGE_TTL_MS) });
    const logger = createLogger('silent');
    a = await createCache(config, logger);
    b = await createCache(config, logger);
    probe = new Redis(redisServer.url, { maxRetriesPerRequest: 1, retryStrategy: () => 100 });
    probe.on('error', () => {}); // it is expected to lose its server during the tests
    await Promise.all([untilUsable(a), untilUsable(b)]);
  });
  afterAll(async () => {
    redisServer?.thaw();
    probe?.disconnect();
    await Promise.all([a?.close(), b?.close()]);
    await redisServer?.stop();
  });

  it('frozen: concurrent callers of one key do not chain waits, and the first timeout opens the breaker', async () => {
    const key = 'chain';
    truth.set(key, 1);
    await read(a, key);
    await a.cache.l2!.get('settle');
    a.cache.l1.clear(); // only in L2 now: a read must ask Redis
    const l2 = a.cache.l2!;
    const openingsBefore = l2.breaker.openings;
    const errorsBefore = l2.errors;

    redisServer.freeze();
    try {
      const started = performance.now();
      const readAt = (delayMs: number) =>
        new Promise((resolve) => setTimeout(resolve, delayMs)).then(async () => {
          await read(a, key);
          return elapsedSince(started);
        });
      // The later callers arrive while the first one is still waiting on Redis.
      const finishedAt = await Promise.all([readAt(0), readAt(100), readAt(200)]);
      console.info(`frozen Redis, three callers of one key starting at 0, 100 and 200 ms finished at ${JSON.stringify(finishedAt)} ms`);
      for (const at of finishedAt) expect(at).toBeLessThanOrEqual(ONE_TIMEOUT_BOUND_MS);
      // A miss waits for L2 only briefly (the hedge) before computing: the first caller is done before its command times out.
      expect(finishedAt[0]).toBeLessThan(REDIS_COMMAND_TIMEOUT_MS);
      // The callers stopped waiting after the hedge (they computed); the reads they left
      // behind time out at the command timeout and open the breaker, once.
      await waitFor(() => l2.breaker.openings > openingsBefore, { timeoutMs: 2_000, what: 'the breaker to open' });
      expect(l2.breaker.openings).toBe(openingsBefore + 1);
      // Every command that was waiting was released when the breaker opened, and none was sent after.
      expect(l2.errors - errorsBefore).toBeLessThanOrEqual(3);
      // Later reads do not ask Redis at all.
      const later = await timed(() => read(a, 'chain-later'));
      expect(later.ms).toBeLessThan(MARGIN_MS);
    } finally {
      redisServer.thaw();
    }
    await untilUsable(a);
  });

  it('frozen: an invalidation made while Redis hangs is replayed to L2 and to the other instance once it answers', async () => {
    const key = 'frozen-write';
    truth.set(key, 1);
    await cacheEverywhere(key);
    expect(await probe.exists(`${prefix}c:${key}`)).toBe(1);

    redisServer.freeze();
    let thawedAt: number;
    try {
      // B notices the freeze (its read's command times out), then writes: remembered, not waited on.
      await read(b, 'frozen-noticed');
      await waitFor(() => !b.cache.l2!.usable, { timeoutMs: 2_000, what: 'B to notice the freeze' });
      const invalidation = await write(b, key);
      expect(invalidation.ms).toBeLessThan(MARGIN_MS);
      expect(b.cache.missedInvalidations.tags).toBeGreaterThanOrEqual(1);
      // B itself reads its write at once; A cannot hear of it and still serves its L1 copy.
      expect((await read(b, key)).value).toBe(2);
      expect((await read(a, key)).value).toBe(1);
    } finally {
      redisServer.thaw();
      thawedAt = performance.now();
    }
    // A drops its L1 when Redis answers again; the copy in L2 must be gone too (B's replay).
    await expectWriteOnBReachesA(key, thawedAt, 'frozen Redis');
    // The entry from before the write is gone from L2 (what is there now was computed after it).
    const inL2 = await probe.get(`${prefix}c:${key}`);
    expect(inL2 === null || (JSON.parse(inL2) as { value: number }).value === 2, `L2 holds ${inL2}`).toBe(true);
    await Promise.all([untilUsable(a), untilUsable(b)]);
    // And once both are back, a read that goes through L2 on A finds nothing older than the write.
    a.cache.l1.clear();
    expect((await read(a, key)).value).toBe(2);
  });

  it('killed: no read fails or waits, the breaker opens at once; during the outage L1 entries live at most CACHE_OUTAGE_TTL_MS', async () => {
    const keys = Array.from({ length: 10 }, (_, i) => `load-${i}`);
    for (const key of keys) truth.set(key, 1);
    const cappedKey = 'outage-capped';
    const oldKey = 'outage-old';
    truth.set(oldKey, 1);
    await cacheEverywhere(oldKey);

    // Steady reads on both instances, all through the kill and the restart.
    let loadRunning = true;
    const load = { reads: 0, failures: 0, maxMs: 0 };
    const loadDone = (async () => {
      while (loadRunning) {
        for (const instance of [a, b]) {
          const started = performance.now();
          try {
            await read(instance, keys[load.reads % keys.length]);
          } catch (error) {
            load.failures += 1;
            console.error('read failed', error);
          }
          load.reads += 1;
          load.maxMs = Math.max(load.maxMs, elapsedSince(started));
        }
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();

    try {
      const killedAt = Date.now();
      await redisServer.kill('SIGKILL');
      await waitFor(() => a.cache.l2!.breaker.isOpen && b.cache.l2!.breaker.isOpen, { timeoutMs: 2_000, intervalMs: 5 });
      const openedAfterMs = Math.max(a.cache.l2!.breaker.lastOpenedAt!, b.cache.l2!.breaker.lastOpenedAt!) - killedAt;
      const outageStart = a.cache.outageStartedAt!;
      expect(outageStart).toBeLessThanOrEqual(Date.now());

      // Another instance's write that A cannot hear of: A serves its old entry at most OUTAGE_TTL_MS past the outage's start.
      truth.set(oldKey, 2);
      expect((await read(a, oldKey)).value).toBe(1);
      await waitFor(async () => (await read(a, oldKey)).value === 2, { timeoutMs: OUTAGE_TTL_MS + 2_000, intervalMs: 20 });
      const servedOldUntil = Date.now() - outageStart;

      // An entry written during the outage is capped to OUTAGE_TTL_MS, fresh and stale.
      truth.set(cappedKey, 1);
      const written = await read(a, cappedKey);
      expect(written.outcome.tier).toBe('MISS');
      expect(written.outcome.staleUntil - Date.now()).toBeLessThanOrEqual(OUTAGE_TTL_MS);
      expect(written.outcome.freshUntil).toBeLessThanOrEqual(written.outcome.staleUntil);
      const writtenAt = Date.now();
      truth.set(cappedKey, 2);
      await waitFor(async () => (await read(a, cappedKey)).value === 2, { timeoutMs: OUTAGE_TTL_MS + 2_000, intervalMs: 20 });
      const cappedServedMs = Date.now() - writtenAt;

      console.info(
        `killed Redis: breaker open ${openedAfterMs} ms after the kill; with CACHE_OUTAGE_TTL_MS=${OUTAGE_TTL_MS} an old entry was served until ${servedOldUntil} ms past the outage start, an entry written during the outage for ${cappedServedMs} ms`,
      );
      expect(openedAfterMs).toBeLessThanOrEqual(1_000);
      expect(servedOldUntil).toBeLessThanOrEqual(OUTAGE_TTL_MS + MARGIN_MS);
      expect(cappedServedMs).toBeLessThanOrEqual(OUTAGE_TTL_MS + MARGIN_MS);
      expect(cappedServedMs).toBeGreaterThan(OUTAGE_TTL_MS / 2); // capped, not dropped
    } finally {
      await redisServer.restart();
    }
    const restartedAt = Date.now();
    await Promise.all([untilUsable(a), untilUsable(b)]);
    const usableAfterMs = Math.max(a.cache.l2!.breaker.lastClosedAt!, b.cache.l2!.breaker.lastClosedAt!) - restartedAt;
    loadRunning = false;
    await loadDone;
    console.info(`killed Redis: L2 in use again ${usableAfterMs} ms after the restart; load: ${JSON.stringify(load)}`);
    expect(usableAfterMs).toBeLessThanOrEqual(5_000);
    expect(usableAfterMs).toBeLessThanOrEqual(BACK_BOUND_MS);
    expect(load.failures).toBe(0);
    expect(load.reads).toBeGreaterThan(50);
    expect(load.maxMs).toBeLessThanOrEqual(ONE_TIMEOUT_BOUND_MS);
    expect(a.cache.outageStartedAt).toBeNull();
    // L2 is written again.
    await read(a, 'after-restart');
    await expect.poll(() => probe.exists(`${prefix}c:after-restart`), { timeout: 2_000 }).toBe(1);
  });

  it('subscription lost while Redis works: a message missed meanwhile does not keep a stale L1 entry once re-subscribed', async () => {
    // A long outage TTL, so that only the drop of L1 on re-subscription can make the write visible in time.
    const config = loadConfig({ REDIS_URL: redisServer.url, REDIS_PREFIX: 'faults-sub:', CACHE_OUTAGE_TTL_MS: '60000' });
    const logger = createLogger('silent');
    const [c, d] = [await createCache(config, logger), await createCache(config, logger)];
    try {
      await Promise.all([untilUsable(c), untilUsable(d)]);
      const key = 'sub-write';
      truth.set(key, 1);
      await read(c, key);
      expect((await read(c, key)).outcome.tier).toBe('L1');

      // Every subscriber is cut; the cache connections stay. D's write is applied to L2 and published to nobody.
      await probe.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
      const cutAt = performance.now();
      await write(d, key);
      expect(d.cache.missedInvalidations.tags).toBe(0);
      expect((await read(c, key)).value).toBe(1); // C has not heard of it
      await waitFor(async () => (await read(c, key)).value === 2, { timeoutMs: 5_000, intervalMs: 10, what: 'C to serve the write' });
      const freshOnCAfterMs = elapsedSince(cutAt);
      console.info(`pub/sub cut: C served the write it never heard of ${freshOnCAfterMs} ms after the cut (CACHE_OUTAGE_TTL_MS=60000)`);
      expect(freshOnCAfterMs).toBeLessThanOrEqual(BACK_BOUND_MS);
      expect(c.bus!.listening).toBe(true);
    } finally {
      await Promise.all([c.close(), d.close()]);
    }
  });

  it('killed then restarted: an invalidation made during the kill reaches the other instance within the stated bound', async () => {
    const key = 'killed-write';
    truth.set(key, 1);
    await cacheEverywhere(key);
    const droppedBefore = a.cache.l1DropsAfterOutage;

    await redisServer.kill('SIGKILL');
    let restartedAt: number;
    try {
      await waitFor(() => b.cache.l2!.breaker.isOpen && !b.bus!.listening, { timeoutMs: 2_000, intervalMs: 5 });
      const invalidation = await write(b, key);
      expect(invalidation.ms).toBeLessThan(MARGIN_MS);
      expect(b.cache.missedInvalidations.tags).toBeGreaterThanOrEqual(1);
      expect((await read(b, key)).value).toBe(2);
      // Within CACHE_OUTAGE_TTL_MS of the outage's start, A still serves what it had.
      expect((await read(a, key)).value).toBe(1);
    } finally {
      await redisServer.restart();
      restartedAt = performance.now();
    }
    await expectWriteOnBReachesA(key, restartedAt, 'killed Redis');
    // A dropped its L1 when its connections came back (the cache connection and the subscriber).
    expect(a.cache.l1DropsAfterOutage).toBeGreaterThan(droppedBefore);
  });
});
