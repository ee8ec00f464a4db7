import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecordOrderDocument, RefreshAggregatesDocument } from './generated/graphql.js';
import { lastDays, utcDaysAgo } from './helpers/dates.js';
import { dataOf } from './helpers/graphql-client.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';
import type { WsConnection } from './helpers/ws-client.js';
import {
  BACKENDS,
  hasTerminal,
  jobEvents,
  jobsEnv,
  ofJob,
  queueEvents,
  startJobsServer,
  stopJobsServer,
  uniquePrefix,
  type Ev,
} from './jobs-helpers.js';

const REVENUE = `query($id: ID!, $range: DateRange!) { store(id: $id) { revenue(range: $range) { total } } }`;

/** Maintenance jobs on each backend: exact invalidation after a refresh, event cleanup, schedules. */
describe.each(BACKENDS)('maintenance jobs (%s)', (backend) => {
  const prefix = uniquePrefix('maint');
  let server: TestServer;
  let ws: WsConnection;

  beforeAll(async () => ({ server, ws } = await startJobsServer(backend, prefix, { CLEANUP_BATCH_SIZE: '3' })));
  afterAll(() => stopJobsServer({ server, ws }));

  async function finish(jobId: string): Promise<Ev> {
    const events = jobEvents(ws.client, { jobId });
    const seen = await events.until(hasTerminal(jobId), 20_000);
    events.stop();
    return seen.at(-1)!;
  }
  const cacheOf = async (storeId: string) =>
    (await server.request(REVENUE, { variables: { id: storeId, range: lastDays(30) } })).headers.get('x-cache');

  it('refreshAggregates invalidates exactly the buckets a write changed and re-warms them', async () => {
    await finish(dataOf(await server.request(RefreshAggregatesDocument)).refreshAggregates.id);
    const day = utcDaysAgo(10);
    const order = dataOf(
      await server.request(RecordOrderDocument, {
        variables: { input: { storeId: '1', placedAt: `${day}T12:00:00Z`, items: [{ productId: '3', quantity: 2 }] } },
      }),
    ).recordOrder;
    for (const store of ['1', '2']) {
      await cacheOf(store);
      expect(await cacheOf(store)).toBe('HIT');
    }

    const done = await finish(dataOf(await server.request(RefreshAggregatesDocument)).refreshAggregates.id);
    const result = done.result as { changed: string[]; changedBuckets: number; warmJobId: string | null; invalidatedTags: number };
    expect(result.changedBuckets).toBe(result.changed.length);
    const parts = result.changed.map((key) => key.split('|'));
    expect(new Set(parts.map(([, , d]) => d))).toEqual(new Set([day]));
    expect(new Set(parts.filter(([p]) => p !== 'products').map(([, id]) => id))).toEqual(new Set(['1']));
    expect(parts.filter(([p]) => p === 'products').map(([, id]) => id)).toEqual([order.items[0].product.id]);
    expect(new Set(parts.map(([p]) => p))).toEqual(
      new Set(['revenue', 'traffic', 'storeProducts', 'products', ...(order.customer ? ['customers'] : [])]),
    );

    // Store 2 did not change and was not touched; store 1 was invalidated and warmed again by the follow-up job.
    expect(await cacheOf('2')).toBe('HIT');
    expect(result.warmJobId).not.toBeNull();
    const warmed = await finish(result.warmJobId!);
    expect(warmed.result).toMatchObject({ stores: 1 });
    expect(await cacheOf('1')).toBe('HIT');
  });

  it('cleanupEvents deletes events past retention in chunks and keeps the rest', async () => {
    const db = server.app.services.database.db;
    const old = Array.from({ length: 7 }, (_, i) => ({ id: `old-${prefix}-${i}`, days: 500 + i }));
    const fresh = Array.from({ length: 2 }, (_, i) => ({ id: `new-${prefix}-${i}`, days: 3 }));
    for (const e of [...old, ...fresh]) {
      await sql`INSERT INTO events (id, store_id, type, occurred_at) VALUES (${e.id}, 1, 'VISIT', now() - make_interval(days => ${e.days}))`.execute(
        db,
      );
    }
    const events = await queueEvents(server, ws.client, 'maintenance'); // subscribed before the job exists: every step is seen
    const job = await server.app.services.jobs!.queues.enqueue('cleanupEvents', {});
    const seen = ofJob(await events.until(hasTerminal(job.id), 20_000), job.id);
    events.stop();
    const result = seen.at(-1)!.result as { deleted: number; invalidatedTags: number };
    expect(result.deleted).toBe(7);
    expect(result.invalidatedTags).toBeGreaterThan(0);
    expect(seen.filter((e) => e.type === 'PROGRESS').length).toBeGreaterThanOrEqual(3);
    const left = await sql<{ id: string }>`SELECT id FROM events WHERE id LIKE ${`%-${prefix}-%`} ORDER BY id`.execute(db);
    expect(left.rows.map((r) => r.id)).toEqual(fresh.map((e) => e.id));
  });

  it('schedules are upserted idempotently by every instance, and `off` removes one', async () => {
    const scheduled = { JOB_REFRESH_CRON: '0 * * * *', JOB_CLEANUP_CRON: '30 3 * * *' };
    const schedulesPrefix = uniquePrefix('sched');
    const first = await startTestServer({
      databaseUrl: server.databaseUrl,
      env: jobsEnv(backend, schedulesPrefix, { WORKERS: 'none', ...scheduled }),
    });
    const second = await startTestServer({
      databaseUrl: server.databaseUrl,
      env: jobsEnv(backend, schedulesPrefix, { WORKERS: 'none', ...scheduled }),
    });
    try {
      const queue = second.app.services.jobs!.queues.queue('maintenance');
      const schedulers = await queue.getJobSchedulers();
      expect(schedulers.map((s) => [s.key, s.pattern]).sort()).toEqual([
        ['cleanupEvents', '30 3 * * *'],
        ['refreshAggregates', '0 * * * *'],
      ]);
      const next = ((await queue.getJobs(['delayed'])) as Array<{ id?: string }>)
        .map((j) => j.id)
        .filter((id) => id?.startsWith('repeat:'));
      expect(next).toHaveLength(2);
    } finally {
      await second.stop();
      await first.stop();
    }
    const third = await startTestServer({
      databaseUrl: server.databaseUrl,
      env: jobsEnv(backend, schedulesPrefix, { WORKERS: 'none', ...scheduled, JOB_CLEANUP_CRON: 'off' }),
    });
    try {
      const schedulers = await third.app.services.jobs!.queues.queue('maintenance').getJobSchedulers();
      expect(schedulers.map((s) => s.key)).toEqual(['refreshAggregates']);
    } finally {
      await third.stop();
    }
  });
});
