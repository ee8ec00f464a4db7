import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisServerInstalled, skipWithoutRedis, startRedisServer, type RedisServerProcess } from './helpers/redis-server.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';
import { waitFor } from './helpers/wait-for.js';

/**
 * Stopping the app does not wait on a Redis that is gone, nor on one that came back: every
 * part (BullMQ's queues, events and workers included) closes in a bounded time and nothing
 * is left pending, so a SIGTERM exits 0 instead of being forced at the grace deadline.
 */
const skip = skipWithoutRedis(redisServerInstalled(), 'jobs-redis-outage-stop.test.ts');
/** Far below the process's SHUTDOWN_GRACE_MS default (10 s), far above a clean stop. */
const STOP_BOUND_MS = 6_000;

let redis: RedisServerProcess;
const servers: TestServer[] = [];

beforeAll(async () => {
  if (!skip) redis = await startRedisServer();
});
afterAll(async () => {
  await redis?.restart();
  await Promise.all(servers.map((s) => s.stop()));
  await redis?.stop();
});

async function startWithJobs(): Promise<TestServer> {
  const server = await startTestServer({
    env: {
      REDIS_URL: redis.url,
      REDIS_PREFIX: `stop${Math.random().toString(36).slice(2, 8)}:`,
      WORKERS: 'inline',
      JOB_REFRESH_CRON: 'off',
      JOB_CLEANUP_CRON: 'off',
      LOG_LEVEL: process.env.STOP_TEST_LOG ?? 'silent',
    },
  });
  servers.push(server);
  // Jobs really run on this Redis before the fault, and none is in flight when it comes
  // (an active job may hold the workers for JOB_SHUTDOWN_GRACE_MS: that bound is its own).
  const queued = await server.request('mutation { warmCache { id } }');
  expect(queued.body.errors).toBeUndefined();
  const id = (queued.body.data as { warmCache: { id: string } }).warmCache.id;
  await waitFor(async () => (await server.request(`{ job(id: "${id}") { state } }`)).body.data?.job?.state === 'COMPLETED', {
    timeoutMs: 30_000,
    what: `warmCache job ${id} to complete`,
  });
  return server;
}

async function timedStop(server: TestServer): Promise<number> {
  const started = Date.now();
  let settled = false;
  const stopped = server.stop().then(() => (settled = true));
  const bound = new Promise<void>((resolve) => setTimeout(resolve, STOP_BOUND_MS + 4_000).unref());
  await Promise.race([stopped, bound]);
  expect(settled, `still pending after ${Date.now() - started} ms: ${server.app.pendingStops().join(', ')}`).toBe(true);
  servers.splice(servers.indexOf(server), 1);
  return Date.now() - started;
}

describe.skipIf(skip)('stopping while Redis is gone or came back', () => {
  it('Redis killed: stop() finishes within the bound, every part closed', async () => {
    const server = await startWithJobs();
    await redis.kill('SIGKILL');
    expect(await timedStop(server)).toBeLessThan(STOP_BOUND_MS);
    expect(server.app.pendingStops()).toEqual([]);
    await redis.restart();
  }, 60_000);

  it('Redis killed and started again: stop() finishes within the bound', async () => {
    const server = await startWithJobs();
    await redis.kill('SIGKILL');
    await redis.restart();
    expect(await timedStop(server)).toBeLessThan(STOP_BOUND_MS);
    expect(server.app.pendingStops()).toEqual([]);
  }, 60_000);
});
