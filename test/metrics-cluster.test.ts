import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HISTORY_CAPACITY, INSTANCE_LIVE_MS } from '../src/metrics/history/metrics-history.js';
import type { MetricsSnapshot } from '../src/metrics/history/metrics-snapshot.js';
import { LatencyHistogram } from '../src/metrics/latency-histogram.js';
import type { MetricsRegistry } from '../src/metrics/metrics-registry.js';
import { lastDays } from './helpers/dates.js';
import { captureLog } from './helpers/captured-log.js';
import { dataOf } from './helpers/graphql-client.js';
import { redisServerInstalled, skipWithoutRedis, startRedisServer, type RedisServerProcess } from './helpers/redis-server.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

/**
 * Two API instances in this process on one database and one Redis (this file's own
 * redis-server, killed in the last test). Known traffic to each, a snapshot on both, then
 * metrics(scope: CLUSTER) on A: counts summed, p99 from the exact merge of both HDR
 * histograms, both instances listed. B going silent drops out after the live window;
 * with Redis dead CLUSTER still answers, with A alone, at once.
 */

const noRedis = skipWithoutRedis(redisServerInstalled(), 'metrics-cluster');
const PREFIX = `mclu-${randomBytes(4).toString('hex')}:`;
const CARD = `query Card($range: DateRange!) { store(id: "3") { id revenue(range: $range) { total } } }`;
const CLUSTER = `query Cluster($scope: MetricsScope) {
  metrics(scope: $scope) {
    scope clusterDegraded
    http { requests errors statuses { status count } latency { count p50Ms p99Ms maxMs } }
    resolvers(orderBy: COUNT_DESC, top: 50) { field count errors latency { count p99Ms } }
    cache { hits misses staleHits hitRate l1Entries redisConnected fields { field hits misses hitRate } }
    database { queries latency { count p99Ms } pool { total idle waiting } }
    process { rssBytes eventLoopLagP99Ms }
    instances { id host pid version startedAt lastSeenAt self requestsPerSecond p99Ms }
    history(minutes: 60) { at instances requests errors latency { count p99Ms } }
  }
}`;

const { logger: loggerOfA, lines: logOfA } = captureLog();
let redisServer: RedisServerProcess;
let probe: Redis;
let a: TestServer;
let b: TestServer;
const historyOf = (server: TestServer) => server.app.services.metricsHistory!;
const registryOf = (server: TestServer): MetricsRegistry => server.app.services.metrics!;

describe.skipIf(noRedis)('metrics(scope: CLUSTER) over two instances', () => {
  beforeAll(async () => {
    redisServer = await startRedisServer();
    probe = new Redis(redisServer.url, { maxRetriesPerRequest: 1 });
    // The last test kills Redis on purpose: the probe's reconnection errors are expected there.
    probe.on('error', () => {});
    const env = { REDIS_URL: redisServer.url, REDIS_PREFIX: PREFIX };
    a = await startTestServer({ env, logger: loggerOfA });
    b = await startTestServer({ env, databaseUrl: a.databaseUrl });
    // Snapshots are taken by the tests alone, so each holds known traffic.
    historyOf(a).stop();
    historyOf(b).stop();
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    probe?.disconnect();
    await redisServer?.stop();
  });

  it('sums the counters and merges the latency histograms exactly', async () => {
    const range = lastDays(12);
    for (let i = 0; i < 3; i += 1) expect((await a.request('{ categories { id } }')).status).toBe(200);
    expect((await a.request(CARD, { variables: { range } })).status).toBe(200);
    for (let i = 0; i < 5; i += 1) expect((await b.request('{ categories { name } }')).status).toBe(200);
    expect((await b.request(CARD, { variables: { range } })).status).toBe(200); // an L2 hit: A computed it
    expect((await b.request('{ nope }')).status).toBe(400);
    await historyOf(a).sampleNow();
    await historyOf(b).sampleNow();

    // What each instance holds now (no request reaches either before the cluster read; A counts its own after answering).
    const [ra, rb] = [registryOf(a), registryOf(b)];
    const expectedHttp = {
      requests: ra.http.snapshot().requests + rb.http.snapshot().requests,
      errors: ra.http.snapshot().errors + rb.http.snapshot().errors,
    };
    const merged = LatencyHistogram.decode(ra.http.latency.encode());
    merged.add(LatencyHistogram.decode(rb.http.latency.encode()));
    const everyLatency = merged.summary();
    const revenueCount = (r: MetricsRegistry) => r.resolvers.rows('COUNT_DESC').find((row) => row.field === 'Store.revenue')?.count ?? 0;
    const expectedRevenueCalls = revenueCount(ra) + revenueCount(rb);
    const instanceHistory = [...historyOf(a).snapshots(), ...historyOf(b).snapshots()];

    const metrics = dataOf(await a.request(CLUSTER, { variables: { scope: 'CLUSTER' } })).metrics;
    expect(metrics.scope).toBe('CLUSTER');
    expect(metrics.clusterDegraded).toBe(false);
    expect(metrics.http).toMatchObject(expectedHttp);
    expect(metrics.http.statuses.find((s: any) => s.status === 400)?.count).toBeGreaterThanOrEqual(1);
    expect(metrics.http.latency).toEqual({
      count: everyLatency.count,
      p50Ms: everyLatency.p50Ms,
      p99Ms: everyLatency.p99Ms,
      maxMs: everyLatency.maxMs,
    });
    expect(metrics.resolvers.find((r: any) => r.field === 'Store.revenue')?.count).toBe(expectedRevenueCalls);
    expect(metrics.cache.redisConnected).toBe(true);
    const [ca, cb] = [ra.cache.snapshot(), rb.cache.snapshot()];
    expect(metrics.cache).toMatchObject({ hits: ca.hits + cb.hits, misses: ca.misses + cb.misses });
    const revenueReads = (c: typeof ca) => c.fields.find((f) => f.field === 'Store.revenue');
    expect(metrics.cache.fields.find((f: any) => f.field === 'Store.revenue')).toMatchObject({
      hits: (revenueReads(ca)?.hits ?? 0) + (revenueReads(cb)?.hits ?? 0),
      misses: (revenueReads(ca)?.misses ?? 0) + (revenueReads(cb)?.misses ?? 0),
    });

    const instanceHttp = dataOf(await a.request(CLUSTER, { variables: { scope: 'INSTANCE' } })).metrics;
    expect(instanceHttp.scope).toBe('INSTANCE');
    expect(instanceHttp.instances.map((i: any) => i.self)).toEqual([true]);
    expect(instanceHttp.http.requests).toBeLessThan(metrics.http.requests);

    // The points add up to both rings: A's own, and B's as published to Redis.
    const historySum = metrics.history.reduce((total: number, p: any) => total + p.requests, 0);
    expect(historySum).toBe(instanceHistory.reduce((total, s) => total + s.requests, 0));
    expect(Math.max(...metrics.history.map((p: any) => p.instances))).toBe(2);
  });

  it('lists both instances, self first, with their identity', async () => {
    const metrics = dataOf(await a.request(CLUSTER, { variables: { scope: 'CLUSTER' } })).metrics;
    const [self, other] = metrics.instances;
    expect(metrics.instances).toHaveLength(2);
    expect(self).toMatchObject({ id: historyOf(a).identity.id, self: true, pid: process.pid, version: '0.1.0' });
    expect(other).toMatchObject({ id: historyOf(b).identity.id, self: false, pid: process.pid, version: '0.1.0' });
    expect(self.id).not.toBe(other.id);
    expect(other.requestsPerSecond).toBeGreaterThan(0);
    expect(other.p99Ms).toBeGreaterThan(0);
    expect(Date.now() - new Date(other.lastSeenAt).getTime()).toBeLessThan(INSTANCE_LIVE_MS);
  });

  it('metrics(instance:) answers from that instance: B through A, A itself; unknown ids and CLUSTER are refused', async () => {
    const [idA, idB] = [historyOf(a).identity.id, historyOf(b).identity.id];
    await historyOf(b).sampleNow();
    const ONE = `query One($instance: ID, $scope: MetricsScope) {
      metrics(scope: $scope, instance: $instance) {
        scope clusterDegraded
        http { requests errors latency { count p99Ms } }
        cache { hits misses }
        database { queries }
        instances { id self }
        history(minutes: 60) { instances requests }
        queues { name }
      }
    }`;
    const viaA = dataOf(await a.request(ONE, { variables: { instance: idB } })).metrics;
    // B answers nothing meanwhile: its published state is its registry now.
    const ofB = registryOf(b);
    expect(viaA.scope).toBe('INSTANCE');
    expect(viaA.clusterDegraded).toBe(false);
    expect(viaA.http).toMatchObject({ requests: ofB.http.snapshot().requests, errors: ofB.http.snapshot().errors });
    expect(viaA.http.latency.count).toBe(ofB.http.latency.summary().count);
    expect(viaA.cache).toMatchObject({ hits: ofB.cache.snapshot().hits, misses: ofB.cache.snapshot().misses });
    expect(viaA.instances).toEqual([{ id: idB, self: false }]);
    expect(viaA.history.every((p: any) => p.instances === 1)).toBe(true);
    const ownSum = historyOf(b)
      .snapshots()
      .reduce((total, s) => total + s.requests, 0);
    expect(viaA.history.reduce((total: number, p: any) => total + p.requests, 0)).toBe(ownSum);
    // Queues are the cluster's whatever the instance.
    expect(viaA.queues.map((q: any) => q.name)).toEqual(dataOf(await a.request(ONE)).metrics.queues.map((q: any) => q.name));

    const self = dataOf(await a.request(ONE, { variables: { instance: idA } })).metrics;
    expect(self.instances).toEqual([{ id: idA, self: true }]);

    const codeOf = async (variables: Record<string, unknown>) =>
      ((await a.request(ONE, { variables })).body.errors ?? []).map((e: any) => e.extensions.code);
    expect(await codeOf({ instance: 'no-such-instance' })).toEqual(['BAD_USER_INPUT']);
    expect(await codeOf({ instance: idB, scope: 'CLUSTER' })).toEqual(['BAD_USER_INPUT']);
  });

  it('keeps Redis bounded: a trimmed list expiring in an hour, a state expiring in a minute', async () => {
    const id = historyOf(b).identity.id;
    const listKey = `${PREFIX}metrics:snapshots:${id}`;
    const stateTtl = await probe.pttl(`${PREFIX}metrics:state:${id}`);
    expect(stateTtl).toBeGreaterThan(0);
    expect(stateTtl).toBeLessThanOrEqual(60_000);
    expect(await probe.pttl(listKey)).toBeGreaterThan(60_000);
    expect(await probe.pttl(listKey)).toBeLessThanOrEqual(3_600_000);
    for (let i = 0; i < HISTORY_CAPACITY + 5; i += 1) await historyOf(b).sampleNow();
    expect(await probe.llen(listKey)).toBe(HISTORY_CAPACITY);
    const newest = JSON.parse((await probe.lindex(listKey, 0))!) as MetricsSnapshot;
    expect(newest.instanceId).toBe(id);
    expect(await probe.zscore(`${PREFIX}metrics:instances`, id)).not.toBeNull();
  });

  it('an instance that stops publishing drops out after the live window', async () => {
    await historyOf(b).sampleNow();
    historyOf(a).liveMs = 1_000; // instead of waiting 30 s
    try {
      expect(dataOf(await a.request(CLUSTER, { variables: { scope: 'CLUSTER' } })).metrics.instances).toHaveLength(2);
      await new Promise((resolve) => setTimeout(resolve, 1_200));
      const metrics = dataOf(await a.request(CLUSTER, { variables: { scope: 'CLUSTER' } })).metrics;
      expect(metrics.instances.map((i: any) => i.id)).toEqual([historyOf(a).identity.id]);
      expect(Math.max(...metrics.history.map((p: any) => p.instances))).toBe(1);
      // A's next publish removes the dead entry from the registry of instances.
      await historyOf(a).sampleNow();
      expect(await probe.zscore(`${PREFIX}metrics:instances`, historyOf(b).identity.id)).toBeNull();
    } finally {
      historyOf(a).liveMs = INSTANCE_LIVE_MS;
    }
  });

  it('with Redis dead, CLUSTER answers at once with this instance only, marked, without an error', async () => {
    await historyOf(b).sampleNow();
    expect(dataOf(await a.request(CLUSTER, { variables: { scope: 'CLUSTER' } })).metrics.instances).toHaveLength(2);
    await redisServer.kill('SIGKILL');
    await historyOf(a).sampleNow(); // publishing fails: logged, not thrown

    const started = performance.now();
    const response = await a.request(CLUSTER, { variables: { scope: 'CLUSTER' } });
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(response.body.errors).toBeUndefined();
    const metrics = dataOf(response).metrics;
    expect(metrics.clusterDegraded).toBe(true);
    expect(metrics.instances.map((i: any) => i.self)).toEqual([true]);
    // The alerts read the same flag: a CLUSTER series of this instance alone is not the cluster's.
    expect((await historyOf(a).series('CLUSTER', 6, 10)).degraded).toBe(true);
    expect((await historyOf(a).series('INSTANCE', 6, 10)).degraded).toBe(false);
    expect(metrics.http.requests).toBe(registryOf(a).http.snapshot().requests - 1); // this request is counted once answered
    expect(Math.max(...metrics.history.map((p: any) => p.instances))).toBe(1);
    const warnings = logOfA.filter((line) => line.level === 40).map((line) => line.msg);
    expect(warnings).toContain('metrics snapshot not published');
    expect(warnings).toContain('cluster metrics unavailable: answering with this instance only');
  });
});
