import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GenerateReportDocument, JobByIdDocument, ReportByIdDocument, RetryJobDocument } from './generated/graphql.js';
import { lastDays } from './helpers/dates.js';
import { dataOf } from './helpers/graphql-client.js';
import type { TestServer } from './helpers/test-server.js';
import type { WsConnection } from './helpers/ws-client.js';
import {
  BACKENDS,
  connect,
  duplicatesIn,
  hasTerminal,
  jobEvents,
  ofJob,
  queueEvents,
  startJobsServer,
  stopJobsServer,
  typesOf,
  uniquePrefix,
} from './jobs-helpers.js';

/**
 * A job's life as a graphql-ws subscriber sees it, on each backend, against a listening
 * server whose workers run in-process: reports, retries with growing backoff, failure
 * and retryJob, and a subscription opened after the job finished.
 */
describe.each(BACKENDS)('job lifecycle over graphql-ws (%s)', (backend) => {
  let server: TestServer;
  let ws: WsConnection;
  beforeAll(async () => ({ server, ws } = await startJobsServer(backend, uniquePrefix('life'))));
  afterAll(() => stopJobsServer({ server, ws }));

  const probe = (data: { failAttempts?: number; sleepMs?: number }) =>
    server.app.services.jobs!.queues.enqueue('probe', data, { dedupe: false });

  it('generateReport: WAITING, ACTIVE, PROGRESS…, COMPLETED, then the report is readable', async () => {
    const events = await queueEvents(server, ws.client, 'reports'); // open before the job exists
    const job = dataOf(
      await server.request(GenerateReportDocument, { variables: { kind: 'DAILY_SALES', range: lastDays(14), storeIds: ['1', '2'] } }),
    ).generateReport;
    expect(job).toMatchObject({ queue: 'reports', kind: 'generateReport' });
    const seen = ofJob(await events.until(hasTerminal(job.id)), job.id);
    events.stop();
    const types = typesOf(seen);
    expect(types[0]).toBe('WAITING');
    expect(types[1]).toBe('ACTIVE');
    expect(types.at(-1)).toBe('COMPLETED');
    expect(types.slice(2, -1).every((t) => t === 'PROGRESS')).toBe(true);
    expect(types.filter((t) => t === 'PROGRESS').length).toBeGreaterThanOrEqual(3);
    const progress = seen.filter((e) => e.type === 'PROGRESS').map((e) => e.progress!);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(duplicatesIn(seen)).toEqual([]);
    expect(seen.every((e) => e.attempt === 1)).toBe(true);

    const { reportId } = seen.at(-1)!.result as { reportId: string };
    const report = dataOf(await server.request(ReportByIdDocument, { variables: { id: reportId } })).report!;
    expect(report.kind).toBe('DAILY_SALES');
    const lines = report.csv.trim().split('\r\n');
    expect(lines[0]).toBe('day,store_id,store,orders,items,revenue');
    expect(report.rows).toBe(lines.length - 1);
    expect(report.rows).toBeGreaterThan(0);
    expect(new Set(lines.slice(1).map((l) => l.split(',')[1]))).toEqual(new Set(['1', '2']));
    const finished = dataOf(await server.request(JobByIdDocument, { variables: { id: job.id } })).job!;
    expect(finished).toMatchObject({ state: 'COMPLETED', progress: 1, attempts: 1, result: { reportId } });
  });

  it('a job that fails twice shows RETRYING with growing delays, then completes on attempt 3', async () => {
    const events = await queueEvents(server, ws.client, 'maintenance');
    const job = await probe({ failAttempts: 2 });
    const seen = ofJob(await events.until(hasTerminal(job.id)), job.id);
    events.stop();
    const retries = seen.filter((e) => e.type === 'RETRYING');
    expect(retries.map((e) => e.attempt)).toEqual([1, 2]);
    expect(retries.every((e) => /fail attempts 1\.\.2/.test(e.failedReason ?? ''))).toBe(true);
    const [first, second] = retries.map((e) => e.delayMs!);
    // Exponential from 500 ms with 20 % jitter: 400..500, then 800..1000.
    expect(first).toBeGreaterThanOrEqual(400);
    expect(second).toBeGreaterThan(first);
    expect(second).toBeGreaterThanOrEqual(800);
    expect(seen.at(-1)).toMatchObject({ type: 'COMPLETED', attempt: 3 });
    expect(seen.filter((e) => e.type === 'ACTIVE').map((e) => e.attempt)).toEqual([1, 2, 3]);
    expect(duplicatesIn(seen)).toEqual([]);
  });

  it('a job that always fails ends FAILED; retryJob brings it back and it runs again', async () => {
    const job = await probe({ failAttempts: 3 });
    const events = jobEvents(ws.client, { jobId: job.id });
    // The final FAILED ends the job's subscription.
    await events.until(() => events.completed);
    expect(events.items.at(-1)).toMatchObject({ type: 'FAILED', attempt: 3 });
    expect(duplicatesIn(events.items)).toEqual([]);
    expect(dataOf(await server.request(JobByIdDocument, { variables: { id: job.id } })).job).toMatchObject({
      state: 'FAILED',
      attempts: 3,
    });

    const retried = dataOf(await server.request(RetryJobDocument, { variables: { id: job.id } })).retryJob;
    expect(['WAITING', 'ACTIVE', 'COMPLETED']).toContain(retried.state);
    // A new subscription: the retried run's current state first, then the rest of it, then `complete`.
    const again = jobEvents(ws.client, { jobId: job.id });
    const seen = await again.until(() => again.completed);
    const types = typesOf(seen);
    expect(['WAITING', 'ACTIVE', 'COMPLETED'].slice(-types.length)).toEqual(types);
    expect(seen.every((e) => e.attempt === 4)).toBe(true);
    expect(duplicatesIn(seen)).toEqual([]);
  });

  it('subscribing after a job finished gives its final state first', async () => {
    const job = await probe({});
    const watcher = jobEvents(ws.client, { jobId: job.id });
    await watcher.until(hasTerminal(job.id));
    watcher.stop();

    const late = jobEvents(ws.client, { jobId: job.id });
    // Its final state, then `complete` (a finished job's subscription ends): nothing else can follow.
    await late.until(() => late.completed);
    expect(late.items).toHaveLength(1);
    expect(late.items[0]).toMatchObject({
      jobId: job.id,
      type: 'COMPLETED',
      attempt: 1,
      result: { attempt: 1 },
      kind: 'probe',
      queue: 'maintenance',
    });
  });

  it('a bad key is refused at connect (4401)', async () => {
    const refused = connect(server, 'gp_not_a_key_000000000000000000');
    expect((await refused.closed).code).toBe(4401);
    await refused.client.dispose();
  });
});
