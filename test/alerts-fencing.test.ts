import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { AlertCluster } from '../src/alerts/alert-cluster.js';
import type { AlertRule } from '../src/alerts/alert-rules.js';
import { AlertService, type AlertHistory } from '../src/alerts/alert-service.js';
import type { AlertTransition } from '../src/alerts/alert-status.js';
import { ALERT_STEP_MS, STEP_SETTLE_MS, type AlertInputPoint } from '../src/alerts/alert-values.js';
import { WebhookOutbox, type AlertWebhookJob } from '../src/alerts/alert-webhook.js';
import { ThrottledWarn } from '../src/logger-throttle.js';
import { createFastRedis, type RedisClient } from '../src/redis.js';
import { captureLog, type CapturedLog } from './helpers/captured-log.js';
import { skipWithoutRedis } from './helpers/redis-server.js';

/**
 * The alert service's edges, on a real Redis (the shared one of global-setup): writes
 * fenced by the lease, a degraded cluster history that keeps the states, webhooks kept
 * while they cannot be queued, streams ended at stop, warnings throttled per message.
 * The history is a stand-in (the rules' input), so each evaluation sees what the test says.
 */

const redisUrl = inject('redisUrl');
const noRedis = skipWithoutRedis(Boolean(redisUrl), 'alerts-fencing');
const ALWAYS: AlertRule = { name: 'AlwaysOn', metric: 'requests_per_second', op: '>=', threshold: 0, forSeconds: 0 };

/** A point in the newest complete step (the one the rules read now). */
function freshPoint(): AlertInputPoint {
  const at = Math.floor((Date.now() - STEP_SETTLE_MS) / ALERT_STEP_MS) * ALERT_STEP_MS - ALERT_STEP_MS;
  const latency = { count: 1, p99Ms: 1 };
  return {
    at: new Date(at),
    requestsPerSecond: 5,
    errorRate: 0,
    latency,
    analyticsLatency: latency,
    cacheHitRate: null,
    redisDegraded: false,
    poolWaiting: 0,
    eventLoopLagP99Ms: 0,
    rssBytes: 0,
    jobsFailed: 0,
  };
}

/** A history answering whatever `next` holds; `during` runs while an evaluation waits for it. */
function scriptedHistory() {
  const state = {
    next: { points: [] as AlertInputPoint[], degraded: false },
    during: async () => {},
  };
  const history: AlertHistory = {
    series: async () => {
      await state.during();
      return state.next;
    },
  };
  return { state, history };
}

/** Every transition the stream delivers, as it comes (read by one loop: a pending next() is never abandoned). */
function collected(stream: AsyncIterableIterator<AlertTransition>): AlertTransition[] {
  const got: AlertTransition[] = [];
  void (async () => {
    for await (const transition of stream) got.push(transition);
  })();
  return got;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.skipIf(noRedis)('alert evaluation fenced by the lease', () => {
  const prefix = `afence-${randomBytes(4).toString('hex')}:`;
  let redis: RedisClient;
  let subscriber: RedisClient;
  let log: CapturedLog;
  const services: AlertService[] = [];

  beforeAll(async () => {
    log = captureLog();
    redis = createFastRedis(redisUrl, log.logger, 'test-alerts');
    subscriber = createFastRedis(redisUrl, log.logger, 'test-alerts-sub', { enableOfflineQueue: true });
    // The fail-fast connection refuses commands until connected (an evaluation then would fall back).
    if (redis.status !== 'ready') await new Promise((resolve) => redis.once('ready', resolve));
  });
  afterAll(async () => {
    await Promise.all(services.map((s) => s.stop()));
    redis?.disconnect();
    subscriber?.disconnect();
  });

  function holderService(instance: string, history: AlertHistory, enqueued: AlertWebhookJob[]) {
    const cluster = new AlertCluster(redis, subscriber, prefix, instance, 60_000, log.logger);
    const service = new AlertService({
      rules: [ALWAYS],
      periodMs: 60_000,
      history: () => history,
      cluster,
      instance,
      webhookUrl: 'http://127.0.0.1:9/hook',
      enqueueWebhook: async (job) => enqueued.push(job),
      logger: log.logger,
    });
    services.push(service);
    return { service, cluster };
  }

  it('lease and state share one hash tag, so one script may read the one and write the other on a Redis Cluster', () => {
    const cluster = new AlertCluster(redis, subscriber, prefix, 'x', 60_000, log.logger);
    expect(cluster.lease.key).toBe(`${prefix}{alerts}:lease`);
  });

  it('a holder whose lease was taken while it read the history stores nothing, announces nothing and follows', async () => {
    const { state, history } = scriptedHistory();
    const enqueued: AlertWebhookJob[] = [];
    const { service, cluster } = holderService('paused-holder', history, enqueued);
    const delivered = collected(service.subscribe());
    state.next = { points: [freshPoint()], degraded: false };
    // The holder pauses past its lease inside the history read; a successor takes the lease meanwhile.
    state.during = async () => {
      await redis.set(cluster.lease.key, 'successor', 'PX', 60_000);
    };
    await service.evaluateNow();
    await sleep(100);
    expect(delivered).toEqual([]);
    expect(enqueued).toEqual([]);
    expect(service.mode).toBe('follower');
    expect(await redis.get(`${prefix}{alerts}:state`)).toBeNull();
    expect(log.lines.some((line) => String(line.msg).startsWith('alert lease lost during the evaluation'))).toBe(true);

    // The control: once the lease is free again, the same evaluation is stored and told once.
    await redis.del(cluster.lease.key);
    state.during = async () => {};
    await service.evaluateNow();
    expect(service.mode).toBe('holder');
    await sleep(100);
    expect(delivered.map((t) => t.state)).toEqual(['FIRING']);
    expect(enqueued.map((job) => job.body.state)).toEqual(['FIRING']);
    expect((await cluster.readStatuses())?.[0]).toMatchObject({ name: 'AlwaysOn', state: 'FIRING' });
    await redis.del(cluster.lease.key, `${prefix}{alerts}:state`);
  });

  it('a degraded cluster history skips the evaluation: FIRING stays FIRING (logged once); a complete empty one resolves', async () => {
    const { state, history } = scriptedHistory();
    const enqueued: AlertWebhookJob[] = [];
    const { service } = holderService('degraded-holder', history, enqueued);
    state.next = { points: [freshPoint()], degraded: false };
    await service.evaluateNow();
    expect((await service.current())[0].state).toBe('FIRING');

    // Redis could not be read: the points hold this instance only (here: none). Read as the cluster, they would resolve.
    state.next = { points: [], degraded: true };
    const warningsBefore = log.lines.filter((line) => String(line.msg).startsWith('alerts not evaluated')).length;
    await service.evaluateNow();
    await service.evaluateNow();
    expect((await service.current())[0].state).toBe('FIRING');
    expect(enqueued.map((job) => job.body.state)).toEqual(['FIRING']);
    expect(log.lines.filter((line) => String(line.msg).startsWith('alerts not evaluated')).length - warningsBefore).toBe(1);

    state.next = { points: [], degraded: false };
    await service.evaluateNow();
    expect((await service.current())[0].state).toBe('RESOLVED');
    expect(enqueued.map((job) => job.body.state)).toEqual(['FIRING', 'RESOLVED']);
  });

  it('stop() ends the open alertEvents streams', async () => {
    const { history } = scriptedHistory();
    const { service } = holderService('stopping', history, []);
    const stream = service.subscribe();
    const pending = stream.next();
    await service.stop();
    await expect(pending).resolves.toEqual({ value: undefined, done: true });
    expect(service.feed.subscribers).toBe(0);
  });
});

describe('webhook bodies that cannot be queued', () => {
  it('are kept (bounded, oldest dropped) and queued in order at the next evaluation', async () => {
    const log = captureLog();
    const { state, history } = scriptedHistory();
    state.next = { points: [freshPoint()], degraded: false };
    const queued: AlertWebhookJob[] = [];
    let queueDown = true;
    const service = new AlertService({
      rules: [ALWAYS],
      periodMs: 60_000,
      history: () => history,
      cluster: null,
      instance: 'alone',
      webhookUrl: 'http://127.0.0.1:9/hook',
      enqueueWebhook: async (job) => {
        if (queueDown) throw new Error('Connection is closed.');
        queued.push(job);
      },
      logger: log.logger,
    });
    try {
      await service.evaluateNow(); // FIRING: its webhook cannot be queued
      await new Promise((resolve) => setImmediate(resolve));
      expect(service.outbox.size).toBe(1);
      expect(log.lines.some((line) => line.msg === 'alert webhook not queued; kept and tried again at the next evaluation')).toBe(true);
      await service.evaluateNow(); // still down: kept
      expect(service.outbox.size).toBe(1);
      queueDown = false;
      await service.evaluateNow();
      expect(service.outbox.size).toBe(0);
      expect(queued.map((job) => [job.body.alert, job.body.state])).toEqual([['AlwaysOn', 'FIRING']]);
    } finally {
      await service.stop();
    }

    const bounded = new WebhookOutbox(
      async () => {
        throw new Error('down');
      },
      log.logger,
      2,
    );
    const job = (alert: string): AlertWebhookJob => ({
      url: 'http://127.0.0.1:9/hook',
      body: {
        alert,
        state: 'FIRING',
        previousState: 'INACTIVE',
        value: 1,
        threshold: 0,
        at: new Date().toISOString(),
        summary: '',
        instance: 'x',
      },
    });
    for (const name of ['a', 'b', 'c']) await bounded.send(job(name));
    expect(bounded.size).toBe(2);
    expect(log.lines.some((line) => line.msg === 'alert webhook outbox full: oldest dropped' && line.alert === 'a')).toBe(true);
  });
});

describe('ThrottledWarn', () => {
  it('throttles each message on its own: a second, different warning is not hidden by the first', () => {
    const log = captureLog();
    let now = 0;
    const warn = new ThrottledWarn(log.logger, 10_000, { instance: 'i' }, () => now);
    expect(warn.warn(new Error('x'), 'states not readable')).toBe(true);
    expect(warn.warn(new Error('x'), 'states not readable')).toBe(false);
    expect(warn.warn(new Error('y'), 'transition not published')).toBe(true);
    now = 10_000;
    expect(warn.warn(new Error('x'), 'states not readable')).toBe(true);
    expect(log.lines.map((line) => [line.msg, line.instance])).toEqual([
      ['states not readable', 'i'],
      ['transition not published', 'i'],
      ['states not readable', 'i'],
    ]);
  });
});
