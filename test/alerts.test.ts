import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { AlertWebhookBody } from '../src/alerts/alert-webhook.js';
import { createKey } from './helpers/api-keys.js';
import { captureLog, type CapturedLog } from './helpers/captured-log.js';
import { dataOf } from './helpers/graphql-client.js';
import { redisServerInstalled, skipWithoutRedis, startRedisServer, type RedisServerProcess } from './helpers/redis-server.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';
import { waitFor } from './helpers/wait-for.js';
import { collect, type Collected, type WsConnection } from './helpers/ws-client.js';
import { connect, jobsEnv, uniquePrefix } from './jobs-helpers.js';

/**
 * Alerts end to end: a rule forced to fire (requests_per_second >= 0 holds as soon as the
 * history has a point) shows in Metrics.alerts, arrives on alertEvents over a real
 * WebSocket and is POSTed to a real local HTTP receiver through a BullMQ job with
 * retries; ADMIN only; and with two instances on one Redis, one evaluator, one event per
 * subscriber and one POST.
 */

const ALWAYS = JSON.stringify([{ name: 'AlwaysOn', metric: 'requests_per_second', op: '>=', threshold: 0, for: '0s' }]);
const ALERT_EVENTS = `subscription { alertEvents { name metric op threshold state previousState value at summary } }`;
const ALERTS = `{ metrics { alerts { name metric op threshold forSeconds state value since lastFiredAt lastResolvedAt summary } } }`;

interface AlertEventData {
  name: string;
  state: string;
  previousState: string;
  value: number | null;
  at: string;
  summary: string;
  threshold: number;
}

/** A webhook receiver on 127.0.0.1 answering the given statuses in turn (then 200), keeping every request. */
async function startReceiver(
  statuses: number[] = [],
): Promise<{ url: string; posts: Array<{ method: string; type: string; body: AlertWebhookBody }>; close(): Promise<void> }> {
  const posts: Array<{ method: string; type: string; body: AlertWebhookBody }> = [];
  const readBody = async (request: IncomingMessage) => {
    let text = '';
    for await (const chunk of request) text += String(chunk);
    return text;
  };
  const server: Server = createServer((request, response) => {
    void readBody(request).then((text) => {
      posts.push({ method: request.method ?? '', type: request.headers['content-type'] ?? '', body: JSON.parse(text) as AlertWebhookBody });
      response.statusCode = statuses[posts.length - 1] ?? 200;
      response.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    posts,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * The servers start without the history's 10 s timer (historyTimer: false), so the test
 * decides when the first point exists (after its subscribers are in place); sampleNow still
 * takes and publishes snapshots. stop() is kept as a guard.
 */
function holdHistory(server: TestServer) {
  const history = server.app.services.metricsHistory!;
  history.stop();
  return history;
}

const alertsOf = (server: TestServer) => server.app.services.alerts!;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('alerts on one instance (no Redis): Metrics.alerts, alertEvents, webhook retries', () => {
  let server: TestServer;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let admin: WsConnection;
  let viewer: WsConnection;
  let events: Collected<AlertEventData>;
  let log: CapturedLog;

  beforeAll(async () => {
    receiver = await startReceiver([500, 500]);
    log = captureLog();
    server = await startTestServer({
      historyTimer: false,
      logger: log.logger,
      env: jobsEnv('postgres', '', {
        WORKERS: 'inline',
        ALERT_RULES: ALWAYS,
        ALERT_EVALUATION_MS: '200',
        ALERT_WEBHOOK_URL: receiver.url,
        JOB_RETRY: 'sendAlertWebhook=5/100',
        JOB_BACKOFF_JITTER: '0',
      }),
    });
    holdHistory(server);
    admin = connect(server);
    viewer = connect(server, await createKey(server, 'alerts-viewer', 'VIEWER'));
  });
  afterAll(async () => {
    events?.stop();
    await admin?.client.dispose();
    await viewer?.client.dispose();
    await server?.stop();
    await receiver?.close();
  });

  it('before any history point the rule is INACTIVE with no data', async () => {
    await sleep(500); // a few evaluations over an empty history
    const { alerts } = dataOf(await server.request(ALERTS)).metrics;
    expect(alerts).toEqual([
      {
        name: 'AlwaysOn',
        metric: 'requests_per_second',
        op: '>=',
        threshold: 0,
        forSeconds: 0,
        state: 'INACTIVE',
        value: null,
        since: null,
        lastFiredAt: null,
        lastResolvedAt: null,
        summary: 'requests_per_second no data >= 0 for 0s',
      },
    ]);
  });

  it('a viewer key is refused on alertEvents', async () => {
    const refused = collect(viewer.client, ALERT_EVENTS);
    await refused.until(() => refused.errors.length > 0 || refused.completed, 5_000).catch(() => undefined);
    refused.stop();
    expect(refused.errors.map((e) => (e as { extensions: { code: string } }).extensions.code)).toEqual(['FORBIDDEN']);
    expect(refused.items).toEqual([]);
  });

  it('fires: FIRING in Metrics.alerts, one event on the socket, a log-worthy summary', async () => {
    events = collect<AlertEventData>(admin.client, ALERT_EVENTS, {}, (data) => data.alertEvents);
    // The refused viewer holds no stream: exactly the admin's.
    await waitFor(() => alertsOf(server).feed.subscribers === 1, { what: 'the admin subscription registered' });
    await server.app.services.metricsHistory!.sampleNow();
    const [fired] = await events.until((items) => items.length >= 1);
    expect(fired).toMatchObject({ name: 'AlwaysOn', state: 'FIRING', previousState: 'INACTIVE', threshold: 0 });
    expect(fired.value).toBeGreaterThanOrEqual(0);
    expect(fired.summary).toMatch(/^requests_per_second [\d.]+ req\/s >= 0 for 0s$/);

    const [alert] = dataOf(await server.request(ALERTS)).metrics.alerts;
    expect(alert).toMatchObject({ name: 'AlwaysOn', state: 'FIRING', since: fired.at, lastFiredAt: fired.at, lastResolvedAt: null });
    expect(alert.value).toEqual(expect.any(Number));
    await sleep(600); // more evaluations: the condition still holds, nothing new
    expect(events.items).toHaveLength(1);
    const lines = log.lines.filter((line) => String(line.msg).startsWith('alert AlwaysOn'));
    expect(lines).toEqual([
      expect.objectContaining({
        level: 40,
        msg: `alert AlwaysOn FIRING: ${fired.summary}`,
        state: 'FIRING',
        previousState: 'INACTIVE',
        value: fired.value,
        threshold: 0,
      }),
    ]);
  });

  it('the webhook gets the transition after two 500s: 3 POSTs, the same JSON body', async () => {
    const fired = events.items[0];
    await waitFor(() => receiver.posts.length >= 3, { timeoutMs: 15_000, what: 'three webhook POSTs' });
    await sleep(800); // a 200 ends the retries
    expect(receiver.posts).toHaveLength(3);
    const expected: AlertWebhookBody = {
      alert: 'AlwaysOn',
      state: 'FIRING',
      previousState: 'INACTIVE',
      value: fired.value,
      threshold: 0,
      at: fired.at,
      summary: fired.summary,
      instance: server.app.services.metricsHistory!.identity.id,
    };
    const delivered = log.lines.filter((line) => line.msg === 'alert webhook delivered');
    expect(delivered).toEqual([expect.objectContaining({ alert: 'AlwaysOn', state: 'FIRING', status: 200 })]);
    for (const post of receiver.posts) {
      expect(post.method).toBe('POST');
      expect(post.type).toBe('application/json');
      expect(post.body).toEqual(expected);
    }
  });
});

const redisUrl = inject('redisUrl');
const noRedis = skipWithoutRedis(Boolean(redisUrl), 'alerts (two instances)');

describe.skipIf(noRedis)('alerts on two instances sharing one Redis: one evaluator, one notification', () => {
  let a: TestServer;
  let b: TestServer;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let wsA: WsConnection;
  let wsB: WsConnection;
  let onA: Collected<AlertEventData>;
  let onB: Collected<AlertEventData>;

  beforeAll(async () => {
    receiver = await startReceiver();
    const env = jobsEnv('redis', uniquePrefix('alerts'), {
      WORKERS: 'inline',
      ALERT_RULES: ALWAYS,
      ALERT_EVALUATION_MS: '200',
      ALERT_WEBHOOK_URL: receiver.url,
    });
    a = await startTestServer({ env, historyTimer: false });
    holdHistory(a);
    b = await startTestServer({ env, databaseUrl: a.databaseUrl, historyTimer: false });
    holdHistory(b);
    wsA = connect(a);
    wsB = connect(b);
  });
  afterAll(async () => {
    onA?.stop();
    onB?.stop();
    await wsA?.client.dispose();
    await wsB?.client.dispose();
    await Promise.all([a?.stop(), b?.stop()]);
    await receiver?.close();
  });

  it('one instance evaluates; each subscriber gets the transition once; one POST; both show the same alerts', async () => {
    await waitFor(() => alertsOf(a).evaluating !== alertsOf(b).evaluating, { what: 'one lease holder' });
    onA = collect<AlertEventData>(wsA.client, ALERT_EVENTS, {}, (data) => data.alertEvents);
    onB = collect<AlertEventData>(wsB.client, ALERT_EVENTS, {}, (data) => data.alertEvents);
    await waitFor(() => alertsOf(a).feed.subscribers === 1 && alertsOf(b).feed.subscribers === 1, {
      what: 'both subscriptions registered',
    });
    // Only B has a point: the holder, whichever it is, sees it through the cluster history.
    await b.app.services.metricsHistory!.sampleNow();
    const [firedA] = await onA.until((items) => items.length >= 1);
    const [firedB] = await onB.until((items) => items.length >= 1);
    expect(firedA).toMatchObject({ name: 'AlwaysOn', state: 'FIRING', previousState: 'INACTIVE' });
    expect(firedB).toEqual(firedA);
    await waitFor(() => receiver.posts.length >= 1, { timeoutMs: 10_000, what: 'the webhook POST' });
    await sleep(1_000); // five more evaluations on each instance
    expect(onA.items).toHaveLength(1);
    expect(onB.items).toHaveLength(1);
    expect(receiver.posts).toHaveLength(1);
    expect(receiver.posts[0].body).toMatchObject({ alert: 'AlwaysOn', state: 'FIRING', at: firedA.at, summary: firedA.summary });
    const holder = alertsOf(a).evaluating ? a : b;
    expect(receiver.posts[0].body.instance).toBe(holder.app.services.metricsHistory!.identity.id);
    expect([alertsOf(a).evaluating, alertsOf(b).evaluating].filter(Boolean)).toHaveLength(1);

    const alertsA = dataOf(await a.request(ALERTS)).metrics.alerts;
    const alertsB = dataOf(await b.request(ALERTS)).metrics.alerts;
    expect(alertsA).toEqual(alertsB);
    expect(alertsA[0]).toMatchObject({ state: 'FIRING', since: firedA.at, lastFiredAt: firedA.at });
  });

  it('when the evaluator stops, the other takes over and continues: still FIRING, no second notification', async () => {
    const [holder, other] = alertsOf(a).evaluating ? [a, b] : [b, a];
    const otherEvents = holder === a ? onB : onA;
    // The other instance keeps a point in the window (the stopped one leaves the cluster view).
    await other.app.services.metricsHistory!.sampleNow();
    await holder.stop();
    await waitFor(() => alertsOf(other).evaluating, { timeoutMs: 5_000, what: 'the other instance taking the lease' });
    await sleep(600);
    expect(otherEvents.items).toHaveLength(1);
    expect(receiver.posts).toHaveLength(1);
    const [alert] = dataOf(await other.request(ALERTS)).metrics.alerts;
    expect(alert).toMatchObject({ state: 'FIRING', lastFiredAt: otherEvents.items[0].at });
  });
});

const noPrivateRedis = skipWithoutRedis(redisServerInstalled(), 'alerts (Redis outage)');

describe.skipIf(noPrivateRedis)('alerts while Redis is down: this instance evaluates alone, requests keep working', () => {
  let redisServer: RedisServerProcess;
  let server: TestServer;
  let admin: WsConnection;
  let events: Collected<AlertEventData>;
  let log: CapturedLog;

  beforeAll(async () => {
    redisServer = await startRedisServer();
    log = captureLog();
    server = await startTestServer({
      historyTimer: false,
      logger: log.logger,
      env: jobsEnv('postgres', '', {
        REDIS_URL: redisServer.url,
        REDIS_PREFIX: 'alerts-outage:',
        ALERT_RULES: ALWAYS,
        ALERT_EVALUATION_MS: '200',
      }),
    });
    holdHistory(server);
    admin = connect(server);
  });
  afterAll(async () => {
    events?.stop();
    await admin?.client.dispose();
    await server?.stop();
    await redisServer?.stop();
  });

  it('falls back to its own history, fires locally, answers Metrics.alerts; takes the lease again once Redis is back', async () => {
    await waitFor(() => alertsOf(server).mode === 'holder', { what: 'the lease taken' });
    events = collect<AlertEventData>(admin.client, ALERT_EVENTS, {}, (data) => data.alertEvents);
    await waitFor(() => alertsOf(server).feed.subscribers === 1, { what: 'the subscription registered' });
    await redisServer.kill('SIGKILL');
    await waitFor(() => alertsOf(server).mode === 'fallback', { what: 'the fallback to this instance' });
    expect(log.lines.some((line) => line.level === 40 && String(line.msg).startsWith('Redis unreachable: alerts are evaluated'))).toBe(
      true,
    );

    await server.app.services.metricsHistory!.sampleNow();
    const [fired] = await events.until((items) => items.length >= 1);
    expect(fired).toMatchObject({ name: 'AlwaysOn', state: 'FIRING' });
    const [alert] = dataOf(await server.request(ALERTS)).metrics.alerts;
    expect(alert).toMatchObject({ state: 'FIRING', lastFiredAt: fired.at });

    await redisServer.restart();
    await waitFor(() => alertsOf(server).mode === 'holder', { timeoutMs: 10_000, what: 'the lease taken again' });
    await sleep(600);
    // Its states carried on: still FIRING, no second notification.
    expect(events.items).toHaveLength(1);
    expect(dataOf(await server.request(ALERTS)).metrics.alerts[0]).toMatchObject({ state: 'FIRING', lastFiredAt: fired.at });
  });
});
