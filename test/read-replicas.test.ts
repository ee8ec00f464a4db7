import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Tables } from '../src/db/tables.js';
import { CommitLsnNotes, formatLsn, parseLsn } from '../src/db/commit-lsn.js';
import { ConfigError, loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { dataOf } from './helpers/graphql-client.js';
import { skipWithoutPostgres15, startPrimaryWithReplica, type PrimaryWithReplica } from './helpers/postgres-replica.js';
import { redisServerInstalled, startRedisServer, type RedisServerProcess } from './helpers/redis-server.js';
import { addDays, cents, revenueTruth } from './helpers/sql-truth.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';
import { waitFor } from './helpers/wait-for.js';

/**
 * Read replicas on Debian's Postgres 15: a primary and a streaming replica that applies
 * each commit 2 s late (recovery_min_apply_delay). The API starts on them as in
 * production (migrations, demo seed, BullMQ on its Postgres backend), and:
 * - a read right after recordOrder is fresh (the primary answers: the replica has not
 *   replayed the order) and equals SQL on the primary, on the writing instance and, with
 *   Redis sharing the commit LSN notes, on another;
 * - reads go to the replica once it has caught up (our counter and the replica's own
 *   table statistics both see them);
 * - a replica stopped under load costs no request an error.
 */

const SUITE = 'read replicas (test/read-replicas.test.ts)';
const skip = skipWithoutPostgres15(SUITE);

const REVENUE = `query Revenue($id: ID!, $range: DateRange!) { store(id: $id) { id revenue(range: $range) { total orders } } }`;
const RECORD = `mutation Record($input: OrderInput!) { recordOrder(input: $input) { id total } }`;
const REPLICAS = `{ metrics { database { replicas { url healthy lagBytes lagSeconds replayLsn statements fallbacks } } } }`;

interface ReplicaRow {
  url: string;
  healthy: boolean;
  lagBytes: number | null;
  lagSeconds: number | null;
  replayLsn: string | null;
  statements: number;
  fallbacks: number;
}

/** The test's own view of a server; its idle connections to the replica end when the replica is stopped (no uncaught 'error'). */
const kysely = (url: string) => {
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  pool.on('error', () => {});
  return new Kysely<Tables>({ dialect: new PostgresDialect({ pool }) });
};

describe('read replica settings and LSN notes', () => {
  it('DATABASE_READ_URLS: postgres URLs, each checked, password masked; needs DATABASE_URL', () => {
    const primary = 'postgres://app@db-primary:5432/gp';
    const config = loadConfig({ DATABASE_URL: primary, DATABASE_READ_URLS: 'postgres://a@r1/gp, postgresql://a@r2/gp' });
    expect(config.DATABASE_READ_URLS).toEqual(['postgres://a@r1/gp', 'postgresql://a@r2/gp']);
    expect(config.DATABASE_READ_MAX_LAG_MS).toBe(30_000);
    const bad = () => loadConfig({ DATABASE_URL: primary, DATABASE_READ_URLS: 'postgres://u:secret@r1/gp,mysql://u:secret@r2/gp' });
    expect(bad).toThrow(ConfigError);
    expect(bad).toThrow(/DATABASE_READ_URLS=.*expected postgres:\/\/ or postgresql:\/\/ URLs, got "mysql:\/\/u:\(hidden\)@r2\/gp"/);
    expect(bad).not.toThrow(/secret/);
    expect(() => loadConfig({ DATABASE_READ_URLS: 'postgres://a@r1/gp' })).toThrow(/DATABASE_READ_URLS=.*needs DATABASE_URL/);
  });

  it('LSNs round-trip and a note keeps the highest LSN per tag', async () => {
    expect(formatLsn(parseLsn('16/B374D848')!)).toBe('16/B374D848');
    expect(parseLsn('1/0')! > parseLsn('0/FFFFFFFF')!).toBe(true);
    const notes = new CommitLsnNotes(null, 'gp:', 60_000, createLogger('silent'));
    await notes.note(['a', 'b'], 200n);
    await notes.note(['a'], 100n); // a late, lower note never lowers it
    expect(await notes.floorFor(['a'])).toBe(200n);
    expect(await notes.floorFor(['c'])).toBe(0n);
    expect(await notes.floorFor(['c', 'b'])).toBe(200n);
  });
});

describe.skipIf(skip)('Postgres read replicas', () => {
  let servers: PrimaryWithReplica;
  let api: TestServer;
  let primaryDb: Kysely<Tables>;
  let replicaDb: Kysely<Tables>;
  let storeId: number;
  let productId: number;
  const today = new Date().toISOString().slice(0, 10);

  const revenue = async (server: TestServer, range: { from: string; to: string }) => {
    const response = await server.request<{ store: { revenue: { total: number; orders: number } } }>(REVENUE, {
      variables: { id: String(storeId), range },
    });
    return dataOf(response).store.revenue;
  };
  const replicaMetrics = async (server: TestServer) =>
    dataOf(await server.request<{ metrics: { database: { replicas: ReplicaRow[] } } }>(REPLICAS)).metrics.database.replicas;
  /** Rows read from the app's tables on a server (its own statistics; the probes read none). */
  const tableReads = async (db: Kysely<Tables>) => {
    const { rows } = await sql<{ n: string }>`
      SELECT coalesce(sum(seq_tup_read + coalesce(idx_tup_fetch, 0)), 0)::text AS n
        FROM pg_stat_user_tables WHERE schemaname = 'public'`.execute(db);
    return Number(rows[0].n);
  };
  /** Until the replica has replayed everything the primary has written now. */
  const caughtUp = async () => {
    const { rows } = await sql<{ lsn: string }>`SELECT pg_current_wal_insert_lsn()::text AS lsn`.execute(primaryDb);
    const target = parseLsn(rows[0].lsn)!;
    await waitFor(
      async () => {
        const replay = await sql<{ lsn: string }>`SELECT pg_last_wal_replay_lsn()::text AS lsn`.execute(replicaDb);
        return parseLsn(replay.rows[0].lsn)! >= target;
      },
      { timeoutMs: 30_000, intervalMs: 100, what: 'the replica to replay the primary' },
    );
  };

  beforeAll(async () => {
    servers = await startPrimaryWithReplica({ applyDelay: '2s' });
    api = await startTestServer({
      databaseUrl: servers.primary.url,
      env: {
        DATABASE_READ_URLS: servers.replica.url,
        SEED: 'demo',
        DEMO_SCALE: '0.005',
        // BullMQ on its Postgres backend (no REDIS_URL), on Postgres 15.
        WORKERS: 'inline',
        JOB_REFRESH_CRON: 'off',
        JOB_CLEANUP_CRON: 'off',
      },
    });
    primaryDb = kysely(servers.primary.url);
    replicaDb = kysely(servers.replica.url);
    storeId = (await primaryDb.selectFrom('stores').select('id').orderBy('id').executeTakeFirstOrThrow()).id;
    productId = (await primaryDb.selectFrom('products').select('id').orderBy('id').executeTakeFirstOrThrow()).id;
    await caughtUp();
  }, 180_000);

  afterAll(async () => {
    await api?.stop();
    await primaryDb?.destroy();
    await replicaDb?.destroy();
    await servers?.destroy();
  }, 60_000);

  it('starts on Postgres 15: migrations, seed, and a BullMQ job on its Postgres backend', async () => {
    expect(api.app.services.jobs.backend).toBe('postgres');
    // A refresh of the views on 15 (CONCURRENTLY), through BullMQ on Postgres: it notes its commit LSN before invalidating.
    const job = dataOf(await api.request<{ refreshAggregates: { id: string } }>('mutation { refreshAggregates { id } }')).refreshAggregates;
    const state = async () =>
      dataOf(
        await api.request<{ job: { state: string } | null }>('query($id: ID!) { job(id: $id) { state } }', { variables: { id: job.id } }),
      ).job?.state;
    await waitFor(async () => ['COMPLETED', 'FAILED'].includes((await state()) ?? ''), {
      timeoutMs: 60_000,
      intervalMs: 200,
      what: 'the job',
    });
    expect(await state()).toBe('COMPLETED');
    const [replica] = await replicaMetrics(api);
    expect(replica.url).toBe(servers.replica.url);
    expect(replica.healthy).toBe(true);
    expect(replica.replayLsn).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
  });

  it('reads go to the replica once it has caught up (our counter and its own statistics)', async () => {
    await caughtUp();
    await waitFor(async () => (await replicaMetrics(api))[0].healthy, { timeoutMs: 10_000, what: 'the replica healthy' });
    const before = (await replicaMetrics(api))[0].statements;
    const readsBefore = await tableReads(replicaDb);
    // Ranges nothing has cached yet: every one is computed.
    for (let days = 30; days < 33; days += 1) {
      const range = { from: addDays(today, -days), to: today };
      const answer = await revenue(api, range);
      expect(cents(answer.total)).toBe((await revenueTruth(primaryDb, [storeId], range, 'DAY')).totalCents);
    }
    const after = (await replicaMetrics(api))[0].statements;
    expect(after - before, 'statements answered by the replica').toBeGreaterThanOrEqual(3);
    // Postgres flushes a backend's statistics within about 10 s of it going idle.
    await waitFor(async () => (await tableReads(replicaDb)) > readsBefore, {
      timeoutMs: 20_000,
      intervalMs: 250,
      what: 'the replica to report rows read by the API',
    });
  });

  it('a read right after recordOrder is fresh and equals SQL on the primary', async () => {
    await caughtUp();
    const range = { from: addDays(today, -2), to: today };
    const before = await revenue(api, range); // cached now, from the replica
    const order = dataOf(
      await api.request<{ recordOrder: { total: number } }>(RECORD, {
        variables: { input: { storeId: String(storeId), items: [{ productId: String(productId), quantity: 2 }] } },
      }),
    ).recordOrder;
    const after = await revenue(api, range);
    const primaryTruth = await revenueTruth(primaryDb, [storeId], range, 'DAY');
    const replicaTruth = await revenueTruth(replicaDb, [storeId], range, 'DAY');
    expect(cents(after.total)).toBe(primaryTruth.totalCents);
    expect(cents(after.total)).toBe(cents(before.total) + cents(order.total));
    // The trap was set: the replica had not replayed the order when the field was recomputed.
    expect(replicaTruth.totalCents, 'the replica must still lag (recovery_min_apply_delay)').toBe(cents(before.total));
    // And nothing stale was cached: still the fresh value once the replica has caught up.
    await caughtUp();
    expect(cents((await revenue(api, range)).total)).toBe(primaryTruth.totalCents);
  });

  describe.skipIf(!redisServerInstalled() && process.env.CI !== 'true')('two instances sharing Redis', () => {
    let redis: RedisServerProcess;
    let writer: TestServer;
    let reader: TestServer;

    beforeAll(async () => {
      redis = await startRedisServer();
      const env = { DATABASE_READ_URLS: servers.replica.url, REDIS_URL: redis.url, REDIS_PREFIX: 'gp-replica-test:' };
      writer = await startTestServer({ databaseUrl: servers.primary.url, env });
      reader = await startTestServer({ databaseUrl: servers.primary.url, env });
    }, 60_000);

    afterAll(async () => {
      await writer?.stop();
      await reader?.stop();
      await redis?.stop();
    }, 30_000);

    it('a write on one instance: the other recomputes from the primary until the replica has it', async () => {
      await caughtUp();
      const range = { from: addDays(today, -3), to: today };
      const before = await revenue(reader, range); // cached (L1 and Redis), from the replica
      const order = dataOf(
        await writer.request<{ recordOrder: { total: number } }>(RECORD, {
          variables: { input: { storeId: String(storeId), items: [{ productId: String(productId), quantity: 1 }] } },
        }),
      ).recordOrder;
      // The reader's L1 entry is dropped over pub/sub; its recomputation must not read the lagging replica.
      await waitFor(async () => cents((await revenue(reader, range)).total) !== cents(before.total), {
        timeoutMs: 2_000,
        what: 'the reader to see the invalidation',
      });
      const primaryTruth = await revenueTruth(primaryDb, [storeId], range, 'DAY');
      expect(cents((await revenue(reader, range)).total)).toBe(primaryTruth.totalCents);
      expect(primaryTruth.totalCents).toBe(cents(before.total) + cents(order.total));
      expect((await revenueTruth(replicaDb, [storeId], range, 'DAY')).totalCents, 'the replica must still lag').toBe(cents(before.total));
    });
  });

  it('a replica stopped under load costs no request an error', async () => {
    await caughtUp();
    const failures: unknown[] = [];
    let answered = 0;
    let loading = true;
    let day = 40;
    // Cold ranges, so every request reads Postgres.
    const loops = Array.from({ length: 3 }, async () => {
      while (loading) {
        const range = { from: addDays(today, -(day += 1)), to: today };
        const response = await api.request(REVENUE, { variables: { id: String(storeId), range } }).catch((error: unknown) => ({
          status: 0,
          body: { errors: [String(error)] },
        }));
        if (response.status !== 200 || response.body.errors) failures.push(response.body.errors ?? response.status);
        else answered += 1;
      }
    });
    await waitFor(() => answered >= 10, { timeoutMs: 20_000, what: 'load to be flowing' });
    await servers.replica.stop();
    const stoppedAt = answered;
    await waitFor(() => answered >= stoppedAt + 20, { timeoutMs: 20_000, what: 'requests answered after the replica stopped' });
    loading = false;
    await Promise.all(loops);
    expect(failures).toEqual([]);
    const [replica] = await replicaMetrics(api);
    expect(replica.healthy).toBe(false);
    // And the answers are right: the primary's.
    const range = { from: addDays(today, -90), to: today };
    expect(cents((await revenue(api, range)).total)).toBe((await revenueTruth(primaryDb, [storeId], range, 'DAY')).totalCents);
    const ready = await fetch(api.url.replace('/graphql', '/readyz'));
    expect(ready.status).toBe(200);
    const detail = (await ready.json()) as { replicas: ReplicaRow[] };
    expect(detail.replicas[0]).toMatchObject({ url: servers.replica.url, healthy: false });
  });
});
