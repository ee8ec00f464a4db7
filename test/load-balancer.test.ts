import { writeFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { startJobs, type JobsRuntime } from '../src/jobs/job-runtime.js';
import { debianPostgresInstalled, DEBIAN_POSTGRES_HINT } from '../faults/debian-postgres.js';
import { startSteadyLoad, type RequestOutcome, type RunningLoad } from '../faults/load.js';
import { WriteLedger } from '../faults/ledger.js';
import { lastDays, mixedWorkload } from '../faults/workload.js';
import { HAPROXY_HINT, haproxyInstalled } from '../cluster/haproxy.js';
import { CLUSTER_ADMIN_KEY, ClusterStack, SHUTDOWN_DELAY_MS, type ClusterApi } from '../cluster/processes.js';
import { redisServerInstalled } from './helpers/redis-server.js';
import { waitFor } from './helpers/wait-for.js';

/**
 * Many API and worker processes behind a real HAProxy (cluster/): Debian's Postgres 15,
 * one redis-server, 3 API processes (WORKERS=none, SHUTDOWN_DELAY_MS above HAProxy's
 * inter × fall), 2 `npm run worker` processes, HAProxy health-checking /readyz. Under a
 * steady open-loop load through HAProxy (faults/load.ts, ~100 req/s):
 *   - SIGTERM one API: no failed request;
 *   - SIGKILL another, the one a graphql-ws subscriber is on: failures only for requests
 *     already in flight on it (by X-Backend-Server, HAProxy's name of the server each answer,
 *     its own 502s included, went to), none sent after it died; the subscriber reconnects
 *     through HAProxy and gets the job's current state, then the rest of its events;
 *   - SIGKILL a worker mid-job: the job completes once, its report written once.
 * The figures go to the log (the README's "Running many instances" quotes one run).
 */

const missing = [
  !haproxyInstalled() && `haproxy (${HAPROXY_HINT})`,
  !debianPostgresInstalled() && `Debian's Postgres 15 (${DEBIAN_POSTGRES_HINT})`,
  !redisServerInstalled() && 'redis-server (apt-get install -y redis-server)',
].filter(Boolean);
if (missing.length && process.env.CI === 'true') throw new Error(`CI=true but the load-balancer suite needs ${missing.join(', ')}`);
if (missing.length) console.warn(`load-balancer: skipped, missing ${missing.join(', ')}`);

/**
 * Requests/s of the steady load (LB_RATE overrides). Modest: 3 APIs, 2 workers, Postgres, Redis,
 * HAProxy and the load share a 2-core machine with the rest of the suite; an overloaded
 * API misses its /readyz checks (HAProxy's 2 s check timeout) and leaves rotation, which
 * would measure overload, not failover.
 */
const RATE = Number(process.env.LB_RATE ?? 50);
/** Fast stall detection, so a job whose worker died is taken up again within seconds. */
const JOB_ENV = {
  JOB_STALLED_INTERVAL_MS: '500',
  JOB_LOCK_DURATION_MS: '1500',
  JOB_SHUTDOWN_GRACE_MS: '3000',
  JOB_RETRY: 'generateReport=3/500',
};

interface JobEventSeen {
  type: string;
  progress: number | null;
  attempt: number;
  result: unknown;
  /** Date.now() when received. */
  at: number;
  /** The HAProxy server of the connection it came through. */
  via: string;
}

const JOB_EVENTS = `subscription ($jobId: ID!) { jobEvents(jobId: $jobId) { type progress attempt result } }`;
const JOB_BY_ID = `query ($id: ID!) { job(id: $id) { state attempts finishedAt result } }`;

/**
 * A graphql-ws client through HAProxy that retries (as browsers' clients do) and notes,
 * from each upgrade's X-Backend-Server, which API every connection went to.
 */
function subscriber(wsUrl: string) {
  const connections: Array<{ server: string; at: number }> = [];
  class TracedWebSocket extends WebSocket {
    constructor(address: string, protocols?: string | string[]) {
      super(address, protocols);
      this.on('upgrade', (response: IncomingMessage) =>
        connections.push({ server: String(response.headers['x-backend-server']), at: Date.now() }),
      );
    }
  }
  const closes: Array<{ code: number; at: number }> = [];
  const client: Client = createClient({
    url: wsUrl,
    webSocketImpl: TracedWebSocket,
    connectionParams: { authorization: `Bearer ${CLUSTER_ADMIN_KEY}` },
    lazy: false,
    retryAttempts: 20,
    retryWait: () => new Promise((resolve) => setTimeout(resolve, 250)),
    shouldRetry: () => true,
    on: { closed: (event) => closes.push({ code: (event as { code: number }).code, at: Date.now() }) },
  });
  return { client, connections, closes, server: () => connections.at(-1)?.server ?? null };
}

const summarizeBy = (outcomes: readonly RequestOutcome[], header: string) => {
  const counts: Record<string, number> = {};
  for (const o of outcomes) counts[o.headers?.[header] ?? 'none'] = (counts[o.headers?.[header] ?? 'none'] ?? 0) + 1;
  return counts;
};

describe.skipIf(missing.length > 0)('many API and worker processes behind HAProxy', () => {
  let stack: ClusterStack;
  let producer: JobsRuntime;
  const ledger = new WriteLedger(`lb${Date.now().toString(36)}`);
  const figures: Record<string, unknown> = {};
  let load: RunningLoad | null = null;
  const sinceLoad = () => Date.now() - load!.startedAt;

  beforeAll(async () => {
    stack = await ClusterStack.start({
      apis: 3,
      workers: 2,
      port: 0,
      env: JOB_ENV,
      onStep: (step) => console.log(`load-balancer: ${step}`),
    });
    // Jobs are enqueued from here, on the cluster's Redis (generateReport's pauseMs makes one last seconds).
    const config = loadConfig({
      DATABASE_URL: stack.base.postgres.url,
      ...stack.env(JOB_ENV),
      JOB_REFRESH_CRON: 'off',
      JOB_CLEANUP_CRON: 'off',
    });
    producer = await startJobs({ config, logger: createLogger('warn'), postgresUrl: stack.base.postgres.url, runWorkers: false });
    load = await startSteadyLoad(
      {
        url: stack.haproxy!.url,
        apiKey: CLUSTER_ADMIN_KEY,
        ratePerSec: RATE,
        next: mixedWorkload(stack.base.catalog, ledger),
        recordHeaders: ['x-instance-id', 'x-backend-server'],
        timeoutMs: 30_000,
      },
      { p99Ms: 3_000, maxWarmMs: 120_000 },
    );
  }, 600_000);

  afterAll(async () => {
    await load?.stop().catch(() => undefined);
    await producer?.close().catch((error: unknown) => console.error(`load-balancer: closing the producer: ${String(error)}`));
    if (process.env.LB_HAPROXY_LOG && stack?.haproxy) writeFileSync(process.env.LB_HAPROXY_LOG, stack.haproxy.output());
    await stack?.close();
    console.log(`load-balancer figures: ${JSON.stringify(figures, null, 2)}`);
  }, 120_000);

  it('answers carry X-Instance-Id (the id Metrics.instances lists) and go round-robin to every API', async () => {
    await waitFor(() => load!.outcomes.length > RATE * 3, { timeoutMs: 30_000, what: '3 s of answers' });
    const byServer = summarizeBy(load!.outcomes, 'x-backend-server');
    expect(Object.keys(byServer).sort()).toEqual(['api1', 'api2', 'api3']);
    const ids = new Set(load!.outcomes.map((o) => o.headers?.['x-instance-id']).filter(Boolean));
    expect(ids.size).toBe(3);
    for (const api of stack.apis) expect([...ids].some((id) => id!.includes(`:${api.entry.pid}:`))).toBe(true);
  });

  it('SIGTERM one API under load: HAProxy takes it out before its listener closes, no request fails', async () => {
    const victim = stack.api('api1');
    const before = load!.outcomes.length;
    const killedAt = sinceLoad();
    victim.entry.signal('SIGTERM');
    await stack.haproxy!.waitForStatus(victim.name, 'DOWN', 15_000);
    const downAt = sinceLoad();
    const exit = await victim.entry.exitWithin(30_000);
    expect(exit.code).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const window = load!.outcomes.slice(before);
    const failed = window.filter((o) => o.outcome !== 'ok');
    const routedAfterDown = window.filter((o) => o.sentAt > downAt && o.headers?.['x-backend-server'] === victim.name);
    figures.sigterm = {
      requests: window.length,
      failed: failed.length,
      markedDownAfterMs: downAt - killedAt,
      exitedAfterMs: exit.elapsedMs,
      byServer: summarizeBy(window, 'x-backend-server'),
    };
    expect(failed, JSON.stringify(failed.slice(0, 5))).toEqual([]);
    expect(routedAfterDown).toEqual([]);
    // It left rotation well before SHUTDOWN_DELAY_MS ran out and its listener closed.
    expect(downAt - killedAt).toBeLessThan(SHUTDOWN_DELAY_MS);

    // A new process on its port: HAProxy puts it back after `rise` good checks.
    const startedAt = Date.now();
    await stack.replaceApi(victim.name, JOB_ENV);
    await stack.haproxy!.waitForStatus(victim.name, 'UP', 30_000);
    (figures.sigterm as Record<string, unknown>).replacementInRotationAfterMs = Date.now() - startedAt;
  }, 120_000);

  it('SIGKILL the API a jobEvents subscriber is on: only requests in flight on it fail; the subscriber reconnects and sees the job through', async () => {
    const job = await producer.queues.enqueue('generateReport', { kind: 'DAILY_SALES', range: lastDays(7), storeIds: [1], pauseMs: 2_500 });
    const sub = subscriber(stack.haproxy!.url.replace(/^http/, 'ws'));
    const events: JobEventSeen[] = [];
    const errors: unknown[] = [];
    let completed = false;
    sub.client.subscribe<{ jobEvents: Omit<JobEventSeen, 'at' | 'via'> }>(
      { query: JOB_EVENTS, variables: { jobId: job.id } },
      {
        next: (result) => {
          if (result.errors) errors.push(...result.errors);
          if (result.data) events.push({ ...result.data.jobEvents, at: Date.now(), via: sub.server() ?? '?' });
        },
        error: (error) => errors.push(error),
        complete: () => (completed = true),
      },
    );
    try {
      // The job is running (a PROGRESS seen): kill the API the subscriber is on.
      await waitFor(() => events.some((e) => e.type === 'PROGRESS'), {
        timeoutMs: 60_000,
        what: () => `a PROGRESS event (${JSON.stringify(events)})`,
      });
      const victimName = sub.server()!;
      const victim: ClusterApi = stack.api(victimName);
      const before = load!.outcomes.length;
      const seenBeforeKill = events.length;
      const killedAt = sinceLoad();
      const killedAtEpoch = Date.now();
      victim.entry.signal('SIGKILL');
      await victim.entry.exited;
      const exitedAt = sinceLoad();
      await stack.haproxy!.waitForStatus(victimName, 'DOWN', 15_000);
      const downAt = sinceLoad();

      await waitFor(() => completed || errors.length > 0, {
        timeoutMs: 60_000,
        what: () => `the job's COMPLETED (${JSON.stringify(events)})`,
      });
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      expect(errors).toEqual([]);

      // The subscriber: one reconnect, through HAProxy, to a surviving API; the job's state first, then the rest, COMPLETED once.
      const reconnect = sub.connections.find((c) => c.at > killedAtEpoch);
      expect(reconnect?.server).toBeDefined();
      expect(reconnect!.server).not.toBe(victimName);
      const after = events.slice(seenBeforeKill);
      expect(after.length).toBeGreaterThan(0);
      expect(after.every((e) => e.via === reconnect!.server)).toBe(true);
      const lastProgressBefore = Math.max(...events.slice(0, seenBeforeKill).map((e) => e.progress ?? 0));
      expect(['ACTIVE', 'PROGRESS']).toContain(after[0].type); // the current state, not a replay from WAITING
      expect(after[0].progress ?? 0).toBeGreaterThanOrEqual(lastProgressBefore);
      const progresses = after.map((e) => e.progress ?? 0);
      expect(progresses).toEqual([...progresses].sort((a, b) => a - b));
      expect(events.filter((e) => e.type === 'COMPLETED')).toHaveLength(1);
      expect(after.at(-1)!.type).toBe('COMPLETED');

      // The load: every failure was sent to the killed API before it died (in flight on it); none after.
      const window = load!.outcomes.slice(before);
      const failed = window.filter((o) => o.outcome !== 'ok');
      figures.sigkill = {
        requests: window.length,
        failed: failed.length,
        failures: failed.map((o) => ({
          outcome: o.outcome,
          server: o.headers?.['x-backend-server'],
          sentMsBeforeKill: killedAt - o.sentAt,
        })),
        markedDownAfterMs: downAt - killedAt,
        exitedAfterMs: exitedAt - killedAt,
        subscriberReconnectMs: reconnect!.at - killedAtEpoch,
        subscriberFirstEventAfterKillMs: after[0].at - killedAtEpoch,
        subscriberEventsAfter: after.map((e) => e.type),
      };
      // In flight on it: HAProxy's 502 naming it, or, when HAProxy had no answer to give and
      // reset the client's connection (no headers then), a request under way while it died.
      for (const o of failed) {
        const server = o.headers?.['x-backend-server'];
        if (server !== undefined) expect(server, JSON.stringify(o)).toBe(victimName);
        else expect(o.sentAt + o.latencyMs, JSON.stringify(o)).toBeGreaterThanOrEqual(killedAt - 1);
        expect(o.sentAt, JSON.stringify(o)).toBeLessThan(exitedAt + 1);
      }
      expect(window.filter((o) => o.sentAt > downAt && o.headers?.['x-backend-server'] === victimName)).toEqual([]);
      expect(downAt - killedAt).toBeLessThan(10_000);
    } finally {
      await sub.client.dispose();
    }
  }, 180_000);

  it('SIGKILL a worker mid-job: the job is taken up again and completes once', async () => {
    const job = await producer.queues.enqueue('generateReport', {
      kind: 'DAILY_SALES',
      range: lastDays(14),
      storeIds: [1],
      pauseMs: 1_500,
    });
    const running = await waitFor(
      async () => {
        const found = await producer.queues.find(job.id);
        return found?.processedBy && found.progress ? found : null;
      },
      { timeoutMs: 60_000, intervalMs: 100, what: 'the job to be running on a worker' },
    );
    const victim = stack.workers.find((w) => running.processedBy!.endsWith(`:${w.pid}`));
    expect(victim, `processedBy ${running.processedBy}`).toBeDefined();
    const killedAt = Date.now();
    victim!.signal('SIGKILL');
    await victim!.exited;

    const answer = await waitFor(
      async () => {
        const response = await fetch(stack.haproxy!.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${CLUSTER_ADMIN_KEY}` },
          body: JSON.stringify({ query: JOB_BY_ID, variables: { id: job.id } }),
        });
        const body = (await response.json()) as {
          data?: { job: { state: string; attempts: number; finishedAt: string | null; result: { reportId: string } } };
        };
        return body.data?.job.state === 'COMPLETED' ? body.data.job : null;
      },
      { timeoutMs: 90_000, intervalMs: 250, what: 'the job to complete on the other worker' },
    );
    expect(answer.attempts).toBe(2);
    expect(answer.finishedAt).not.toBeNull();
    const reports = await stack.base.pool.query<{ id: string }>('SELECT id FROM reports WHERE id LIKE $1', [`${job.id}%`]);
    expect(reports.rows.map((r) => r.id)).toEqual([answer.result.reportId]);
    figures.workerKill = {
      attempts: answer.attempts,
      reports: reports.rowCount,
      completedAfterKillMs: new Date(answer.finishedAt!).getTime() - killedAt,
    };
  }, 180_000);

  it('the load through HAProxy lost and duplicated no write', async () => {
    const total = await load!.stop();
    load = null;
    const check = await ledger.verify(stack.base.pool);
    figures.load = { sent: total.sent, ok: total.ok, errors: total.errors, p50Ms: total.p50Ms, p99Ms: total.p99Ms, check };
    expect(check.lost).toBe(0);
    expect(check.duplicated).toBe(0);
    expect(check.halfWritten).toBe(0);
    // The only failures of the whole run are the SIGKILL's.
    expect(Object.values(total.errors).reduce((a, b) => a + b, 0)).toBe((figures.sigkill as { failed: number }).failed);
  }, 120_000);
});
