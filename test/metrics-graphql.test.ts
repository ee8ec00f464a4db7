import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MetricsSnapshotDocument, ResetMetricsDocument, type MetricsSnapshotQuery } from './generated/graphql.js';
import { blockEventLoop } from './helpers/block-event-loop.js';
import { lastDays } from './helpers/dates.js';
import { dataOf } from './helpers/graphql-client.js';
import { captureLog } from './helpers/captured-log.js';
import { startServerWithViewer } from './helpers/api-keys.js';
import type { TestServer } from './helpers/test-server.js';
import { waitFor } from './helpers/wait-for.js';
import { connect } from './jobs-helpers.js';

/**
 * Metrics over GraphQL on a real server: after resetMetrics and a known sequence of
 * requests every count is exact; slow SQL shows up normalized; the log has one line
 * per request with a cache summary and no key; VIEWER is refused.
 */

const { logger, lines: logLines } = captureLog();

const range = lastDays(30);
const CARD = `query Card($range: DateRange!) { store(id: "1") { id name revenue(range: $range) { total orders } } }`;
// Same fields, another operation text: Apollo runs it and the field entries answer.
const CARD_AGAIN = `query CardAgain($range: DateRange!) { store(id: "1") { name id revenue(range: $range) { orders total } } }`;

let server: TestServer;
let viewerKey: string;
let metrics: MetricsSnapshotQuery['metrics'];
let statementsInSequence: number;

async function readMetrics(key = server.adminKey) {
  return server.request(MetricsSnapshotDocument, { key, variables: { top: 50, orderBy: 'COUNT_DESC', slowLimit: 10 } });
}

beforeAll(async () => {
  ({ server, viewerKey } = await startServerWithViewer({ logger, env: { SLOW_QUERY_MS: '250' } }));
  await server.request('{ categories { id } }', { key: viewerKey }); // the key lookup happens before the counted sequence

  expect(dataOf(await server.request(ResetMetricsDocument)).resetMetrics).toBe(true);
  const statementsBefore = server.app.services.database.stats.queries;
  expect((await server.request(CARD, { variables: { range } })).headers.get('x-cache')).toBe('MISS'); // 1. computes both fields
  expect((await server.request(CARD, { variables: { range } })).headers.get('x-cache')).toBe('HIT'); // 2. hot path: stored bytes
  expect(dataOf(await server.request(CARD_AGAIN, { variables: { range } })).store?.id).toBe('1'); // 3. Apollo, field hits
  const forbidden = await readMetrics(viewerKey); // 4. FORBIDDEN under status 200
  expect(forbidden.body.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
  expect((await server.request('{ nope }')).status).toBe(400); // 5. validation error
  expect((await server.request('{ categories { id } }', { key: 'gp_unknown_key_0000000000000000' })).status).toBe(401); // 6. unknown key
  statementsInSequence = server.app.services.database.stats.queries - statementsBefore;
  metrics = dataOf(await readMetrics()).metrics;
});
afterAll(() => server?.stop());

describe('Metrics after resetMetrics and a known sequence', () => {
  it('counts every HTTP request exactly, by status, errors and hot path', () => {
    expect(metrics.http).toMatchObject({ requests: 7, errors: 3, hotPath: 1 }); // the reset itself + 6
    expect(metrics.http.statuses).toEqual([
      { status: 200, count: 5 },
      { status: 400, count: 1 },
      { status: 401, count: 1 },
    ]);
    expect(metrics.http.latency.count).toBe(7);
    const { p50Ms, p95Ms, p99Ms, maxMs, meanMs } = metrics.http.latency;
    expect(p50Ms).toBeGreaterThan(0);
    expect(p50Ms <= p95Ms && p95Ms <= p99Ms && p99Ms <= maxMs * 1.001 && meanMs <= maxMs).toBe(true);
  });

  it('times only the fields that do work, cache hits included, never the metrics fields', () => {
    const rows = Object.fromEntries(metrics.resolvers.map((r) => [r.field, r]));
    expect(Object.keys(rows).sort()).toEqual(['Query.store', 'Store.revenue']);
    expect(rows['Query.store']).toMatchObject({ count: 2, errors: 0 });
    expect(rows['Store.revenue']).toMatchObject({ count: 2, errors: 0 });
    expect(rows['Store.revenue'].latency.count).toBe(2);
  });

  it('counts cache hits and misses per field, hot-path hits included', () => {
    const fields = Object.fromEntries(metrics.cache.fields.map((f) => [f.field, f]));
    expect(Object.keys(fields).sort()).toEqual(['Query.store', 'Store.revenue']);
    expect(fields['Query.store']).toMatchObject({ hits: 2, misses: 1, staleHits: 0, errors: 0 });
    expect(fields['Store.revenue']).toMatchObject({ hits: 2, misses: 1, staleHits: 0, errors: 0 });
    expect(metrics.cache).toMatchObject({
      hits: 4,
      misses: 2,
      staleHits: 0,
      errors: 0,
      operationHits: 1,
      redisConnected: false,
      degraded: false,
    });
    expect(metrics.cache.hitRate).toBeCloseTo(4 / 6, 12);
    expect(metrics.cache.l1Entries).toBeGreaterThanOrEqual(2);
    expect(metrics.cache.l1Bytes).toBeGreaterThan(0);
  });

  it('counts the SQL statements the app ran, with a sane pool', () => {
    expect(metrics.database.queries).toBe(statementsInSequence);
    expect(metrics.database.queries).toBeGreaterThan(0);
    expect(metrics.database.errors).toBe(0);
    expect(metrics.database.latency.count).toBe(statementsInSequence);
    const { total, idle, waiting } = metrics.database.pool;
    expect(total).toBeGreaterThanOrEqual(1);
    expect(total).toBeLessThanOrEqual(server.app.services.config.DB_POOL_MAX);
    expect(idle).toBeLessThanOrEqual(total);
    expect(waiting).toBe(0);
  });

  it('reports uptime, process numbers and the job queues', async () => {
    expect(Date.parse(metrics.since)).toBeGreaterThanOrEqual(Date.parse(metrics.startedAt));
    expect(metrics.uptimeSeconds).toBeGreaterThan(0);
    expect(metrics.process.rssBytes).toBeGreaterThan(metrics.process.heapUsedBytes);
    expect(metrics.queues.length).toBeGreaterThan(0);
    for (const queue of metrics.queues) {
      for (const state of ['waiting', 'active', 'completed', 'failed', 'delayed', 'paused'] as const)
        expect(Number.isInteger(queue[state]) && queue[state] >= 0).toBe(true);
    }
    expect(metrics.queues.map((q) => q.name)).toEqual((await server.app.services.queues!.counts()).map((q) => q.name));
  });

  it('logs one line per request with its cache summary and never the key', () => {
    const card = logLines.filter((l) => l.msg === 'graphql request' && l.operationName === 'CardAgain');
    expect(card).toHaveLength(1);
    expect(card[0]).toMatchObject({ status: 200, cache: { hits: 2, misses: 0, stale: 0 } });
    expect(typeof card[0].requestId).toBe('string');
    expect(typeof card[0].durationMs).toBe('number');
    expect(JSON.stringify(logLines)).not.toContain(server.adminKey);
  });
});

describe('slow queries', () => {
  it('lists a pg_sleep statement with its literals stripped and logs it as a warning', async () => {
    await sql`select pg_sleep(0.3), 'secret-literal'`.execute(server.app.services.database.db);
    const { database } = dataOf(await readMetrics()).metrics;
    const slow = database.slowQueries.find((q) => q.sql.includes('pg_sleep'));
    expect(slow).toMatchObject({ sql: 'select pg_sleep(?), ?', count: 1 });
    expect(slow!.latency.maxMs).toBeGreaterThanOrEqual(300);
    expect(database.slowQueryThresholdMs).toBe(250);
    expect(JSON.stringify(database)).not.toContain('secret');
    const warning = logLines.find((l) => l.msg === 'slow query');
    expect(warning).toMatchObject({ level: 40, sql: 'select pg_sleep(?), ?' });
    expect(JSON.stringify(logLines)).not.toContain('secret-literal');
  });
});

describe('access', () => {
  it('refuses VIEWER with FORBIDDEN on metrics and on resetMetrics', async () => {
    expect((await readMetrics(viewerKey)).body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await server.request(ResetMetricsDocument, { key: viewerKey })).body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('refuses VIEWER with FORBIDDEN over WebSocket too, and answers ADMIN there', async () => {
    const run = (key: string) => {
      const { client } = connect(server, key);
      return new Promise<{ data?: unknown; errors?: ReadonlyArray<{ extensions?: Record<string, unknown> }> }>((resolve, reject) => {
        let result: { data?: unknown; errors?: ReadonlyArray<{ extensions?: Record<string, unknown> }> } = {};
        client.subscribe(
          { query: '{ metrics { uptimeSeconds http { requests } } }' },
          {
            next: (value) => (result = value as typeof result),
            error: reject,
            complete: () => resolve(result),
          },
        );
      }).finally(() => client.dispose());
    };
    expect((await run(viewerKey)).errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
    const admin = await run(server.adminKey);
    expect(admin.errors).toBeUndefined();
    expect(admin.data).toMatchObject({ metrics: { http: { requests: expect.any(Number) } } });
  });
});

describe('event-loop lag', () => {
  const lagMs = async () => dataOf(await readMetrics()).metrics.process.eventLoopLagP99Ms;
  const BLOCK_MS = 400;

  it('reports a deliberate block of the event loop, and is far below it at rest after a reset', async () => {
    expect(dataOf(await server.request(ResetMetricsDocument)).resetMetrics).toBe(true);
    // Node's monitor drops the first interval after a reset (it only restarts its clock), so a
    // block before its first sample would go unseen: wait for a sample (timers are never exactly
    // on time, so a sampled lag is above 0), then block.
    await waitFor(async () => (await lagMs()) > 0, { what: 'the event-loop monitor to sample after the reset' });
    blockEventLoop(BLOCK_MS);
    // One sample spans the block, recorded when the monitor's timer next fires (under load that
    // can be after the first read); with under 100 samples since the reset, the p99 is that one.
    const blocked = await waitFor(
      async () => {
        const lag = await lagMs();
        return lag >= BLOCK_MS * 0.9 && lag;
      },
      { what: `the monitor to report the ${BLOCK_MS} ms block` },
    );
    expect(blocked).toBeLessThan(BLOCK_MS * 2); // milliseconds, not µs or ns

    expect(dataOf(await server.request(ResetMetricsDocument)).resetMetrics).toBe(true);
    // At rest: wait until the monitor has sampled again (a timer is never exactly on time, so lag > 0).
    const atRest = await waitFor(
      async () => {
        const lag = await lagMs();
        return lag > 0 && lag;
      },
      { what: 'the event-loop monitor to take a sample after the reset' },
    );
    expect(Number.isFinite(atRest)).toBe(true);
    expect(atRest).toBeLessThan(BLOCK_MS / 2);
  });
});
