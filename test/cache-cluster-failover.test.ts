import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORE_SALES } from './helpers/cache-probe.js';
import { utcDaysAgo } from './helpers/dates.js';
import { skipWithoutRedisCluster, startRedisCluster, type RedisCluster } from './helpers/redis-cluster.js';
import { cents, revenueTruth } from './helpers/sql-truth.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';
import { waitFor } from './helpers/wait-for.js';

/**
 * A Redis Cluster master killed under steady load (two API instances, one writer, two
 * readers): its replica is promoted, and no wrong answer is served. Every answer is
 * checked against SQL (the totals the store had over time): it must be one the store
 * really had, and not older than the stated bound (docs/architecture.md, "Cache in a Redis
 * Cluster"): CACHE_OUTAGE_TTL_MS plus the bus delay in steady state, the switch itself
 * while it lasts. Afterwards both instances answer exactly the SQL truth, from L2 too: no
 * entry stamped before an invalidation survived the failover.
 */

const noCluster = skipWithoutRedisCluster('cache-cluster-failover');

/** CACHE_OUTAGE_TTL_MS for both instances. */
const OUTAGE_TTL_MS = 1_000;
/** Steady-state staleness allowed: the outage TTL, the replay after a breaker closes (~1 s), slack for a loaded box. */
const STEADY_STALE_MS = OUTAGE_TTL_MS + 2_000;

let cluster: RedisCluster;
let a: TestServer;
let b: TestServer;
let storeId: number;
let productId: number;
const prefix = `cfo-${randomBytes(4).toString('hex')}:`;

interface Write {
  startedAt: number;
  endedAt: number;
  /** Revenue of the range in cents after this write (read from SQL once it returned). */
  totalCents: number;
  failed: boolean;
}

interface Read {
  server: 'a' | 'b';
  startedAt: number;
  endedAt: number;
  totalCents: number | null;
  error: string | null;
  xCache: string | null;
}

describe.skipIf(noCluster)('a Redis Cluster failover under load', () => {
  beforeAll(async () => {
    cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 1 });
    const env = {
      REDIS_URL: cluster.url,
      REDIS_PREFIX: prefix,
      CACHE_OUTAGE_TTL_MS: String(OUTAGE_TTL_MS),
    };
    a = await startTestServer({ env });
    b = await startTestServer({ env, databaseUrl: a.databaseUrl });
    const db = a.app.services.database.db;
    storeId = (await db.selectFrom('stores').select('id').orderBy('id').executeTakeFirstOrThrow()).id;
    productId = (await db.selectFrom('products').select('id').orderBy('id').limit(1).executeTakeFirstOrThrow()).id;
  }, 120_000);
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await cluster?.stop();
  });

  it('kill the master of the written tag: replica promoted, no wrong answer, bounded errors, L1 while the breaker is open', async () => {
    const today = utcDaysAgo(0);
    const range = { from: utcDaysAgo(6), to: today };
    const variables = { id: String(storeId), range };
    const db = a.app.services.database.db;
    const sqlTotal = async () => (await revenueTruth(db, [storeId], range, 'DAY')).totalCents;
    const baseCents = await sqlTotal();
    const writes: Write[] = [];
    const reads: Read[] = [];
    let running = true;

    const writer = (async () => {
      while (running) {
        const startedAt = Date.now();
        let failed: boolean;
        try {
          const response = await a.request(`mutation ($input: OrderInput!) { recordOrder(input: $input) { id } }`, {
            variables: { input: { storeId: String(storeId), items: [{ productId: String(productId), quantity: 1 }] } },
          });
          failed = response.status !== 200 || Boolean(response.body.errors?.length);
        } catch {
          failed = true;
        }
        // A failed write may still have committed: the truth is what SQL says after it.
        writes.push({ startedAt, endedAt: Date.now(), totalCents: await sqlTotal(), failed });
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    })();
    const reader = (server: TestServer, name: 'a' | 'b') =>
      (async () => {
        while (running) {
          const startedAt = Date.now();
          try {
            const response = await server.request(STORE_SALES, { variables });
            const total = response.body.data?.store?.revenue?.total;
            reads.push({
              server: name,
              startedAt,
              endedAt: Date.now(),
              totalCents: typeof total === 'number' ? cents(total) : null,
              error:
                response.status !== 200 || response.body.errors?.length ? JSON.stringify(response.body.errors ?? response.status) : null,
              xCache: response.headers.get('x-cache'),
            });
          } catch (error) {
            reads.push({ server: name, startedAt, endedAt: Date.now(), totalCents: null, error: String(error), xCache: null });
          }
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      })();
    const loops = [writer, reader(a, 'a'), reader(b, 'b')];

    let killedAt = 0;
    let switchedAt = 0;
    const openingsBefore = { a: a.app.services.cache.l2!.breaker.openings, b: b.app.services.cache.l2!.breaker.openings };
    try {
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      // The master holding the version of the tag every write invalidates (the store's sales today).
      const killed = await cluster.killMaster({ key: `${prefix}v:{store:${storeId}:sales:d:${today}}` });
      killedAt = Date.now();
      const failover = await killed.failover;
      switchedAt = Date.now();
      console.info(`failover: master ${killed.port} killed, replica ${failover.port} serving its slots after ${failover.ms} ms`);
      await new Promise((resolve) => setTimeout(resolve, 4_000));
    } finally {
      running = false;
      await Promise.all(loops);
    }

    // No answer that the store never had, nor one older than the bound.
    const validTotals = (read: Read): number[] => {
      const switching = read.startedAt >= killedAt - 1_000 && read.startedAt <= switchedAt + STEADY_STALE_MS;
      const oldest = switching ? killedAt - STEADY_STALE_MS : read.startedAt - STEADY_STALE_MS;
      const valid: number[] = [];
      // The state before the first write, then after each write: current from its commit (≤ its end) to the next commit (≥ its start).
      const states = [{ totalCents: baseCents, from: 0, to: writes[0]?.endedAt ?? Infinity }];
      writes.forEach((w, i) => states.push({ totalCents: w.totalCents, from: w.startedAt, to: writes[i + 1]?.endedAt ?? Infinity }));
      for (const state of states) if (state.from <= read.endedAt && state.to >= oldest) valid.push(state.totalCents);
      return valid;
    };
    const wrong = reads.filter((r) => r.totalCents !== null && !validTotals(r).includes(r.totalCents));
    const errors = reads.filter((r) => r.error !== null || r.totalCents === null);
    const seconds = (reads.at(-1)!.endedAt - reads[0]!.startedAt) / 1000;
    const openings = {
      a: a.app.services.cache.l2!.breaker.openings - openingsBefore.a,
      b: b.app.services.cache.l2!.breaker.openings - openingsBefore.b,
    };
    const duringSwitch = reads.filter((r) => r.startedAt >= killedAt && r.endedAt <= switchedAt);
    console.info(
      `failover under load: ${JSON.stringify({
        reads: reads.length,
        readsPerSecond: Math.round(reads.length / seconds),
        writes: writes.length,
        failedWrites: writes.filter((w) => w.failed).length,
        readErrors: errors.length,
        wrongAnswers: wrong.length,
        switchMs: switchedAt - killedAt,
        readsDuringSwitch: duringSwitch.length,
        hitsDuringSwitch: duringSwitch.filter((r) => r.xCache === 'HIT').length,
        breakerOpenings: openings,
      })}`,
    );
    expect(wrong.slice(0, 5), 'answers the store never had within the bound').toEqual([]);
    // Redis errors are misses (Postgres answers): a failed read is not expected; a few are tolerated on a loaded box.
    expect(errors.length, JSON.stringify(errors.slice(0, 3))).toBeLessThanOrEqual(Math.ceil(reads.length * 0.02));
    expect(reads.length).toBeGreaterThan(50);
    // The instances noticed the dead shard (their breakers opened: L1 and Postgres only meanwhile) and kept answering.
    expect(openings.a + openings.b).toBeGreaterThan(0);
    expect(duringSwitch.filter((r) => r.error === null).length).toBeGreaterThan(0);

    // Once the cluster is whole again: L2 in use, nothing left to replay, and every answer is the SQL truth,
    // also from L2 alone (L1 emptied): no entry stamped before an invalidation became servable again.
    for (const server of [a, b]) {
      await waitFor(() => server.app.services.cache.l2!.usable && server.app.services.cache.missedInvalidations.tags === 0, {
        timeoutMs: 20_000,
        what: 'L2 usable and no invalidation left to replay',
      });
    }
    const truth = await sqlTotal();
    for (const server of [a, b]) {
      await waitFor(
        async () => cents((await server.request(STORE_SALES, { variables })).body.data?.store?.revenue?.total ?? NaN) === truth,
        { timeoutMs: STEADY_STALE_MS + 2_000, what: 'an answer equal to SQL' },
      );
      server.app.services.cache.l1.clear();
      const fromL2 = await server.request(STORE_SALES, { variables });
      expect(cents(fromL2.body.data.store.revenue.total)).toBe(truth);
    }
  });
});
