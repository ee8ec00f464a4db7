import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  GenerateReportDocument,
  JobByIdDocument,
  JobListDocument,
  PauseQueueDocument,
  RemoveJobDocument,
  ReportByIdDocument,
  ResumeQueueDocument,
  RetryFailedJobsDocument,
  RetryJobDocument,
  WarmCacheJobDocument,
} from './generated/graphql.js';
import { lastDays } from './helpers/dates.js';
import { dataOf, type GraphqlResponse } from './helpers/graphql-client.js';
import type { TestServer } from './helpers/test-server.js';
import type { WsConnection } from './helpers/ws-client.js';
import { BACKENDS, hasTerminal, jobEvents, startJobsServer, stopJobsServer, uniquePrefix } from './jobs-helpers.js';

const codes = (response: GraphqlResponse<unknown>) => (response.body.errors ?? []).map((e) => e.extensions?.code);

/** The admin API of jobs and queues, on each backend: dedupe, priorities, pause, retry, remove, errors, roles. */
describe.each(BACKENDS)('jobs admin API (%s)', (backend) => {
  let server: TestServer;
  let ws: WsConnection;
  let viewerKey: string;

  beforeAll(async () => {
    ({ server, ws } = await startJobsServer(backend, uniquePrefix('admin')));
    const created = await server.request(`mutation { createApiKey(name: "viewer", role: VIEWER) { key } }`);
    viewerKey = dataOf(created).createApiKey.key;
  });
  afterAll(() => stopJobsServer({ server, ws }));

  const queues = () => server.app.services.jobs!.queues;

  it('the same report asked for twice while pending is one job; a paused queue holds it until resumed', async () => {
    expect(dataOf(await server.request(PauseQueueDocument, { variables: { queue: 'reports' } })).pauseQueue).toBe(true);
    const variables = { kind: 'INVENTORY' as const, range: lastDays(3), storeIds: ['2', '1'] };
    const one = dataOf(await server.request(GenerateReportDocument, { variables })).generateReport;
    const two = dataOf(await server.request(GenerateReportDocument, { variables: { ...variables, storeIds: ['1', '2'] } })).generateReport;
    expect(two.id).toBe(one.id);
    expect(two.state).toBe('PAUSED');
    const paused = dataOf(await server.request(JobListDocument, { variables: { queue: 'reports', state: 'PAUSED' } })).jobs;
    expect(paused.map((j) => j.id)).toContain(one.id);
    const other = dataOf(await server.request(GenerateReportDocument, { variables: { ...variables, kind: 'DAILY_SALES' } })).generateReport;
    expect(other.id).not.toBe(one.id);

    const events = jobEvents(ws.client, { jobId: one.id });
    await events.until((items) => items[0]?.type === 'WAITING');
    expect(dataOf(await server.request(ResumeQueueDocument, { variables: { queue: 'reports' } })).resumeQueue).toBe(true);
    const seen = await events.until(hasTerminal(one.id));
    events.stop();
    const { reportId } = seen.at(-1)!.result as { reportId: string };
    const report = dataOf(await server.request(ReportByIdDocument, { variables: { id: reportId } })).report!;
    expect(report.csv.split('\r\n')[0]).toBe('store_id,store,product_id,sku,product,on_hand,reorder_point,status,days_of_cover');
    expect(report.params).toEqual({ range: variables.range, storeIds: [1, 2] });

    // Finished work asked for again is new work: a new run under the same id.
    const again = dataOf(await server.request(GenerateReportDocument, { variables })).generateReport;
    expect(again.id).toBe(one.id);
    expect(Date.parse(again.createdAt)).toBeGreaterThan(Date.parse(one.createdAt));
  });

  it('work an admin asked for runs before scheduled work of the same queue', async () => {
    await queues().queue('maintenance').pause();
    const scheduled = await queues().enqueue('probe', { sleepMs: 1 }, { dedupe: false, requested: false });
    const requested = await queues().enqueue('probe', { sleepMs: 2 }, { dedupe: false });
    await queues().queue('maintenance').resume();
    const order: string[] = [];
    for (const job of [scheduled, requested]) {
      const events = jobEvents(ws.client, { jobId: job.id });
      const seen = await events.until(hasTerminal(job.id));
      events.stop();
      order.push(`${job.id}@${seen.find((e) => e.type === 'COMPLETED')!.at}`);
    }
    const at = (i: number) => Date.parse(order[i].split('@')[1]);
    expect(at(1)).toBeLessThanOrEqual(at(0));
  });

  it('jobs lists newest first by queue and state; removeJob and retryFailedJobs act on them', async () => {
    const failing = await queues().enqueue('probe', { failAttempts: 9 }, { dedupe: false });
    const events = jobEvents(ws.client, { jobId: failing.id });
    await events.until(hasTerminal(failing.id, 'FAILED'));
    events.stop();
    const failed = dataOf(await server.request(JobListDocument, { variables: { queue: 'maintenance', state: 'FAILED', first: 5 } })).jobs;
    expect(failed[0]).toMatchObject({ id: failing.id, state: 'FAILED', kind: 'probe', attempts: 3, maxAttempts: 3 });
    const all = dataOf(await server.request(JobListDocument, { variables: { first: 100 } })).jobs;
    const times = all.map((j) => Date.parse(j.createdAt));
    expect(times).toEqual([...times].sort((x, y) => y - x));

    expect(
      dataOf(await server.request(RetryFailedJobsDocument, { variables: { queue: 'maintenance' } })).retryFailedJobs,
    ).toBeGreaterThanOrEqual(1);
    const back = dataOf(await server.request(JobByIdDocument, { variables: { id: failing.id } })).job!;
    expect(['WAITING', 'ACTIVE', 'DELAYED', 'FAILED']).toContain(back.state);
    expect(back.attempts).toBeGreaterThanOrEqual(3);

    const done = await queues().enqueue('probe', {}, { dedupe: false });
    const watch = jobEvents(ws.client, { jobId: done.id });
    await watch.until(hasTerminal(done.id));
    expect(dataOf(await server.request(RemoveJobDocument, { variables: { id: done.id } })).removeJob).toBe(true);
    await watch.until(() => watch.completed, 5_000); // COMPLETED ended the job's subscription (removal before the end is in jobs-subscription-complete)
    expect(dataOf(await server.request(JobByIdDocument, { variables: { id: done.id } })).job).toBeNull();
  });

  it('unknown ids are NOT_FOUND, unknown queues and bad input BAD_USER_INPUT, other roles FORBIDDEN', async () => {
    expect(codes(await server.request(RetryJobDocument, { variables: { id: 'probe-nope' } }))).toEqual(['NOT_FOUND']);
    expect(codes(await server.request(RemoveJobDocument, { variables: { id: 'probe-nope' } }))).toEqual(['NOT_FOUND']);
    expect(dataOf(await server.request(JobByIdDocument, { variables: { id: 'probe-nope' } })).job).toBeNull();
    expect(codes(await server.request(PauseQueueDocument, { variables: { queue: 'nope' } }))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await server.request(JobListDocument, { variables: { queue: 'nope' } }))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await server.request(RetryFailedJobsDocument, { variables: { queue: 'nope' } }))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await server.request(JobByIdDocument, { variables: { id: 'a b' } }))).toEqual(['BAD_USER_INPUT']);
    expect(
      codes(
        await server.request(GenerateReportDocument, {
          variables: { kind: 'DAILY_SALES', range: { from: '2024-02-01', to: '2024-01-01' } },
        }),
      ),
    ).toEqual(['BAD_USER_INPUT']);
    expect(codes(await server.request(WarmCacheJobDocument, { variables: { storeIds: ['999999'] } }))).toEqual(['NOT_FOUND']);

    const finished = await queues().enqueue('probe', {}, { dedupe: false });
    const events = jobEvents(ws.client, { jobId: finished.id });
    await events.until(hasTerminal(finished.id));
    events.stop();
    expect(codes(await server.request(RetryJobDocument, { variables: { id: finished.id } }))).toEqual(['BAD_USER_INPUT']);

    const asViewer = { key: viewerKey };
    expect(codes(await server.request(JobListDocument, { variables: {}, ...asViewer }))).toEqual(['FORBIDDEN']);
    expect(
      codes(await server.request(GenerateReportDocument, { variables: { kind: 'DAILY_SALES', range: lastDays(2) }, ...asViewer })),
    ).toEqual(['FORBIDDEN']);
    expect(codes(await server.request(ReportByIdDocument, { variables: { id: 'x' }, ...asViewer }))).toEqual(['FORBIDDEN']);
  });
});
