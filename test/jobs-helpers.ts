import { randomBytes } from 'node:crypto';
import { print, type DocumentNode } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import { inject } from 'vitest';
import WebSocket from 'ws';
import type { JobEventFieldsFragment } from './generated/graphql.js';
import { JobEventsDocument } from './generated/graphql.js';
import { TEST_ADMIN_KEY } from './helpers/constants.js';
import type { TestServer } from './helpers/test-server.js';
import { waitFor } from './helpers/wait-for.js';

/** Shared by the jobs-*.test.ts files: backends, fast job settings, and a real graphql-ws client. */

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

export const wsUrlOf = (server: TestServer) => server.url.replace(/^http/, 'ws');

export interface WsConnection {
  client: Client;
  /** Resolves with the close code once the socket closes. */
  closed: Promise<number>;
}

/** A graphql-ws client with connectionParams { authorization: "Bearer <key>" }; no retries, so a refusal shows. */
export function connect(server: TestServer, key: string | null = TEST_ADMIN_KEY, headers?: Record<string, string>): WsConnection {
  let resolveClosed!: (code: number) => void;
  const closed = new Promise<number>((resolve) => (resolveClosed = resolve));
  const impl = headers
    ? class extends WebSocket {
        constructor(url: string, protocols?: string | string[]) {
          super(url, protocols, { headers });
        }
      }
    : WebSocket;
  const client = createClient({
    url: wsUrlOf(server),
    webSocketImpl: impl,
    lazy: false,
    retryAttempts: 0,
    connectionParams: key === null ? {} : { authorization: `Bearer ${key}` },
    on: { closed: (event) => resolveClosed((event as { code: number }).code) },
    onNonLazyError: () => {},
  });
  return { client, closed };
}

export interface Collected<T> {
  items: T[];
  errors: unknown[];
  completed: boolean;
  /** Resolves with the items once `predicate` holds for them (rejects after `timeoutMs`). */
  until(predicate: (items: T[]) => boolean, timeoutMs?: number): Promise<T[]>;
  stop(): void;
}

/** Runs one operation and collects its results (data or errors) as they come. */
export function collect<T>(
  client: Client,
  document: DocumentNode | string,
  variables: Record<string, unknown> = {},
  pick: (data: any) => T = (d) => d,
): Collected<T> {
  const checks = new Set<() => void>();
  const state: Collected<T> = {
    items: [],
    errors: [],
    completed: false,
    until: (predicate, timeoutMs = 15_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          if (predicate(state.items)) {
            checks.delete(check);
            clearTimeout(timer);
            resolve(state.items);
          } else if (state.errors.length) {
            checks.delete(check);
            clearTimeout(timer);
            reject(new Error(`subscription failed: ${JSON.stringify(state.errors)}`));
          }
        };
        const timer = setTimeout(() => {
          checks.delete(check);
          reject(new Error(`timed out after ${timeoutMs} ms; got ${JSON.stringify(state.items, null, 1)}`));
        }, timeoutMs);
        checks.add(check);
        check();
      }),
    stop: () => unsubscribe(),
  };
  const notify = () => [...checks].forEach((c) => c());
  const query = typeof document === 'string' ? document : print(document);
  const unsubscribe = client.subscribe(
    { query, variables },
    {
      next: (result) => {
        if (result.errors?.length) state.errors.push(...result.errors);
        else state.items.push(pick(result.data));
        notify();
      },
      error: (error) => {
        // graphql-ws hands operation errors over as the array of GraphQL errors.
        if (Array.isArray(error)) state.errors.push(...error);
        else state.errors.push(error);
        notify();
      },
      complete: () => {
        state.completed = true;
        notify();
      },
    },
  );
  return state;
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
