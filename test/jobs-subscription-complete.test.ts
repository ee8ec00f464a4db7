import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RemoveJobDocument } from './generated/graphql.js';
import { dataOf } from './helpers/graphql-client.js';
import type { TestServer } from './helpers/test-server.js';
import type { Collected, WsConnection } from './helpers/ws-client.js';
import {
  BACKENDS,
  duplicatesIn,
  hasTerminal,
  jobEvents,
  ofJob,
  queueEvents,
  startJobsServer,
  stopJobsServer,
  typesOf,
  uniquePrefix,
  type Ev,
} from './jobs-helpers.js';

/**
 * When a jobEvents subscription ends, on each backend, against a listening server with
 * in-process workers: `jobEvents(jobId:)` completes after the job's terminal event
 * (COMPLETED, a FAILED with no retry left, or its removal); `jobEvents(queue:)` stays open.
 */
describe.each(BACKENDS)('jobEvents completion (%s)', (backend) => {
  let server: TestServer;
  let ws: WsConnection;
  // JOB_RETRY (jobsEnv): probe jobs get 3 attempts, 500 ms backoff.
  beforeAll(async () => ({ server, ws } = await startJobsServer(backend, uniquePrefix('complete'))));
  afterAll(() => stopJobsServer({ server, ws }));

  const queues = () => server.app.services.jobs!.queues;
  const probe = (data: { failAttempts?: number; sleepMs?: number } = {}) => queues().enqueue('probe', data, { dedupe: false });
  const completion = (events: Collected<Ev>) => events.until(() => events.completed);

  /**
   * A probe held in the paused queue and a subscription to it whose first event (the
   * snapshot, WAITING) has arrived: the server is listening before the job runs, so
   * every later event is seen. The queue is resumed by the caller.
   */
  async function heldJob(data: { failAttempts?: number } = {}) {
    await queues().queue('maintenance').pause();
    const job = await probe(data);
    const events = jobEvents(ws.client, { jobId: job.id });
    await events.until((items) => items.length > 0);
    expect(events.items[0]).toMatchObject({ jobId: job.id, type: 'WAITING', attempt: 1 });
    return { job, events };
  }

  it('completes after COMPLETED, with the whole run delivered first', async () => {
    const { job, events } = await heldJob();
    await queues().queue('maintenance').resume();
    const seen = await completion(events);
    expect(typesOf(seen)).toEqual(['WAITING', 'ACTIVE', 'COMPLETED']);
    expect(seen.at(-1)).toMatchObject({ jobId: job.id, attempt: 1, result: { attempt: 1 } });
    expect(events.errors).toEqual([]);
  });

  it('stays open through RETRYING and completes after the final FAILED', async () => {
    const { job, events } = await heldJob({ failAttempts: 3 });
    await queues().queue('maintenance').resume();
    const seen = await completion(events);
    const types = typesOf(seen);
    expect(types.filter((t) => t === 'RETRYING')).toHaveLength(2);
    expect(seen.at(-1)).toMatchObject({ jobId: job.id, type: 'FAILED', attempt: 3, failedReason: expect.stringMatching(/fail attempts/) });
    // Nothing terminal before the last event: the retries did not end the subscription.
    expect(types.slice(0, -1).filter((t) => t === 'FAILED' || t === 'COMPLETED')).toEqual([]);
    expect(duplicatesIn(seen)).toEqual([]);
  });

  it('completes when the job is removed before it ran', async () => {
    const { job, events } = await heldJob();
    try {
      expect(dataOf(await server.request(RemoveJobDocument, { variables: { id: job.id } })).removeJob).toBe(true);
      const seen = await completion(events);
      expect(typesOf(seen)).toEqual(['WAITING']);
    } finally {
      await queues().queue('maintenance').resume();
    }
  });

  it('a subscription opened after the job finished gets its final state, then complete', async () => {
    const { job, events } = await heldJob();
    await queues().queue('maintenance').resume();
    await completion(events);
    const late = jobEvents(ws.client, { jobId: job.id });
    const seen = await completion(late);
    expect(typesOf(seen)).toEqual(['COMPLETED']);
  });

  it('a queue-wide subscription stays open after a job of the queue ends', async () => {
    const queueWide = await queueEvents(server, ws.client, 'maintenance');
    const first = await probe();
    const own = jobEvents(ws.client, { jobId: first.id });
    expect(typesOf(await completion(own)).at(-1)).toBe('COMPLETED');
    await queueWide.until(hasTerminal(first.id));
    expect(queueWide.completed).toBe(false);

    // Still open: the next job of the queue comes through it too.
    const next = await probe();
    const seen = ofJob(await queueWide.until(hasTerminal(next.id)), next.id);
    expect(typesOf(seen)).toEqual(['WAITING', 'ACTIVE', 'COMPLETED']);
    expect(queueWide.completed).toBe(false);
    expect(queueWide.errors).toEqual([]);
    queueWide.stop();
  });
});
