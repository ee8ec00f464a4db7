import { randomBytes } from 'node:crypto';
import type { Client } from 'graphql-ws';
import { inject } from 'vitest';
import type { JobEventFieldsFragment } from './generated/graphql.js';
import { JobEventsDocument } from './generated/graphql.js';
import { TEST_ADMIN_KEY } from './helpers/constants.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';
import { waitFor } from './helpers/wait-for.js';
import { collect, openWs, type Collected, type WsConnection } from './helpers/ws-client.js';

/** Shared by the jobs-*.test.ts files: backends, fast job settings, a server with a subscriber, and its job events. */

export type Backend = 'postgres' | 'redis';
const redisUrl = inject('redisUrl');

/** Both backends when Redis is available (CI always has it); global-setup warns otherwise. */
export const BACKENDS: Backend[] = redisUrl ? ['postgres', 'redis'] : ['postgres'];

/**
 * Env for a test server on `backend`. Schedules are off (a cron slot must not fire into a
 * test), retries and stall detection are fast. Pass the same `prefix` to every instance
 * (and worker process) of one test that must share queues.
 */
export function jobsEnv(backend: Backend, prefix: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    JOB_REFRESH_CRON: 'off',
    JOB_CLEANUP_CRON: 'off',
    // Backoffs long enough that a RETRYING event is read before its delay runs out even on a
    // loaded 2-core machine (the Postgres backend keeps no failure time to recover it from).
    JOB_RETRY: 'probe=3/500,generateReport=3/500',
    JOB_BACKOFF_JITTER: '0.2',
    JOB_STALLED_INTERVAL_MS: '500',
    JOB_LOCK_DURATION_MS: '1500',
    JOB_SHUTDOWN_GRACE_MS: '3000',
    ...(backend === 'redis' ? { REDIS_URL: redisUrl, REDIS_PREFIX: prefix } : {}),
    ...extra,
  };
}

export const uniquePrefix = (file: string) => `gpt-${file}-${randomBytes(3).toString('hex')}:`;

/** A graphql-ws client with connectionParams { authorization: "Bearer <key>" } (`headers` on its upgrade request). */
export function connect(server: TestServer, key: string | null = TEST_ADMIN_KEY, headers?: Record<string, string>): WsConnection {
  return openWs(server, key === null ? {} : { authorization: `Bearer ${key}` }, headers && { headers });
}

export interface JobsServer {
  server: TestServer;
  /** An admin subscriber to `server`. */
  ws: WsConnection;
}

/** A server on `backend` with in-process workers (jobsEnv, then `extra`) and an admin graphql-ws subscriber to it. */
export async function startJobsServer(backend: Backend, prefix: string, extra: Record<string, string> = {}): Promise<JobsServer> {
  const server = await startTestServer({ env: jobsEnv(backend, prefix, { WORKERS: 'inline', ...extra }) });
  return { server, ws: connect(server) };
}

/** Closes the subscriber, then stops the server; either may be missing when its start failed. */
export async function stopJobsServer({ server, ws }: Partial<JobsServer>): Promise<void> {
  await ws?.client.dispose();
  await server?.stop();
}

export type Ev = JobEventFieldsFragment;

export function jobEvents(client: Client, variables: { jobId?: string; queue?: string }): Collected<Ev> {
  return collect(client, JobEventsDocument, variables, (data) => data.jobEvents as Ev);
}

/**
 * jobEvents for a whole queue, resolved once the server has registered the subscription
 * (JobEventHub.subscribers), so a job started afterwards is seen from its first event.
 */
export async function queueEvents(server: TestServer, client: Client, queue: string): Promise<Collected<Ev>> {
  const hub = server.app.services.jobs!.events;
  const before = hub.subscribers({ queue, jobId: null });
  const events = jobEvents(client, { queue });
  await waitFor(() => hub.subscribers({ queue, jobId: null }) > before || events.errors.length > 0, {
    what: `the server to register a jobEvents subscription to queue ${queue}`,
  });
  if (events.errors.length) throw new Error(`subscription failed: ${JSON.stringify(events.errors)}`);
  return events;
}

/** The events of one job, in arrival order. */
export const ofJob = (events: Ev[], jobId: string) => events.filter((e) => e.jobId === jobId);
export const typesOf = (events: Ev[]) => events.map((e) => e.type);
export const hasTerminal =
  (jobId: string, type: Ev['type'] = 'COMPLETED') =>
  (events: Ev[]) =>
    events.some((e) => e.jobId === jobId && e.type === type);

/** No event repeats another (same type, attempt and progress), i.e. no duplicate deliveries. */
export function duplicatesIn(events: Ev[]): string[] {
  const keys = events.map((e) => `${e.jobId}|${e.type}|${e.attempt}|${e.progress ?? ''}`);
  return keys.filter((key, i) => keys.indexOf(key) !== i);
}
