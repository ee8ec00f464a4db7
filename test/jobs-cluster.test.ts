import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GenerateReportDocument, JobByIdDocument } from './generated/graphql.js';
import { lastDays } from './helpers/dates.js';
import { dataOf } from './helpers/graphql-client.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';
import type { WsConnection } from './helpers/ws-client.js';
import {
  BACKENDS,
  duplicatesIn,
  hasTerminal,
  jobEvents,
  jobsEnv,
  ofJob,
  queueEvents,
  startJobsServer,
  stopJobsServer,
  typesOf,
  uniquePrefix,
} from './jobs-helpers.js';
import { killWorker, spawnWorker, type WorkerProcess } from './jobs-worker-process.js';

/**
 * Jobs across processes, on each backend: API A runs no workers and serves the
 * subscriber; workers run in two worker processes (one killed mid-job, the other
 * stopped with SIGTERM) and then in API B. Events reach A through QueueEvents.
 */
describe.each(BACKENDS)('jobs across processes (%s)', (backend) => {
  const prefix = uniquePrefix('cluster');
  let a: TestServer;
  let b: TestServer | undefined;
  let ws: WsConnection;
  let workers: WorkerProcess[] = [];

  beforeAll(async () => {
    ({ server: a, ws } = await startJobsServer(backend, prefix, { WORKERS: 'none' }));
    // Two worker processes, started together (each takes seconds to boot).
    workers = [0, 1].map(() => spawnWorker(a.databaseUrl, jobsEnv(backend, prefix)));
    await Promise.all(workers.map((w) => w.ready));
  });
  afterAll(async () => {
    await Promise.all(workers.map(killWorker));
    await b?.stop();
    await stopJobsServer({ server: a, ws });
  });

  it('a worker process SIGKILLed mid-job: the job stalls, the other worker takes it up, and it completes once', async () => {
    const job = await a.app.services.jobs!.queues.enqueue('generateReport', {
      kind: 'DAILY_SALES',
      range: lastDays(7),
      storeIds: [1],
      pauseMs: 700,
    });
    const events = jobEvents(ws.client, { jobId: job.id });
    await events.until((items) => items.some((e) => e.type === 'PROGRESS'));
    const running = (await a.app.services.jobs!.queues.find(job.id))!;
    const victim = workers.find((w) => running.processedBy?.endsWith(`:${w.child.pid}`));
    expect(victim, `processedBy ${running.processedBy}`).toBeDefined();
    victim!.child.kill('SIGKILL');
    expect(await victim!.exited).toBe('SIGKILL');

    // The other worker finds the job's lock lapsed (JOB_LOCK_DURATION_MS) at a stall check and runs it again.
    const seen = await events.until(hasTerminal(job.id), 20_000);
    events.stop();
    const types = typesOf(seen);
    expect(types).toContain('STALLED');
    expect(types.filter((t) => t === 'COMPLETED')).toHaveLength(1);
    expect(seen.filter((e) => e.type === 'ACTIVE').map((e) => e.attempt)).toEqual([1, 2]);
    expect(duplicatesIn(seen)).toEqual([]);
    const { reportId } = seen.at(-1)!.result as { reportId: string };
    const rows = await a.app.services.database.db.selectFrom('reports').select('id').where('id', 'like', `${job.id}%`).execute();
    expect(rows.map((r) => r.id)).toEqual([reportId]);
  });

  it('npm run worker on SIGTERM finishes its active job and exits 0', async () => {
    const survivor = workers.find((w) => w.child.exitCode === null && w.child.signalCode === null)!;
    const job = await a.app.services.jobs!.queues.enqueue('probe', { sleepMs: 800 }, { dedupe: false });
    const events = jobEvents(ws.client, { jobId: job.id });
    await events.until((items) => items.some((e) => e.type === 'ACTIVE'));
    survivor.child.kill('SIGTERM');
    expect(await survivor.exited).toBe(0);
    const seen = await events.until(hasTerminal(job.id), 3_000);
    events.stop();
    expect(typesOf(seen).at(-1)).toBe('COMPLETED');
  });

  it("two API instances: a subscriber on A sees a job that B's worker runs", async () => {
    b = await startTestServer({ databaseUrl: a.databaseUrl, env: jobsEnv(backend, prefix, { WORKERS: 'inline' }) });
    const events = await queueEvents(a, ws.client, 'reports');
    const job = dataOf(
      await a.request(GenerateReportDocument, { variables: { kind: 'PRODUCT_PERFORMANCE', range: lastDays(30) } }),
    ).generateReport;
    const seen = ofJob(await events.until(hasTerminal(job.id)), job.id);
    events.stop();
    expect(typesOf(seen)[0]).toBe('WAITING');
    expect(typesOf(seen).at(-1)).toBe('COMPLETED');
    expect(dataOf(await b.request(JobByIdDocument, { variables: { id: job.id } })).job?.state).toBe('COMPLETED');
  });

  it('app.stop() lets the active job finish before the workers close', async () => {
    const job = await a.app.services.jobs!.queues.enqueue('probe', { sleepMs: 800 }, { dedupe: false });
    const events = jobEvents(ws.client, { jobId: job.id });
    await events.until((items) => items.some((e) => e.type === 'ACTIVE'));
    await b!.stop();
    b = undefined;
    const seen = await events.until(hasTerminal(job.id), 3_000);
    events.stop();
    expect(typesOf(seen).at(-1)).toBe('COMPLETED');
  });
});
