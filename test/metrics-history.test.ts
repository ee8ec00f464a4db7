import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { mergeIntoPoints } from '../src/metrics/history/history-points.js';
import type { MetricsHistory } from '../src/metrics/history/metrics-history.js';
import type { MetricsSnapshot } from '../src/metrics/history/metrics-snapshot.js';
import { SnapshotRing } from '../src/metrics/history/snapshot-ring.js';
import { LatencyHistogram } from '../src/metrics/latency-histogram.js';
import { lastDays } from './helpers/dates.js';
import { dataOf } from './helpers/graphql-client.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

/**
 * Metric history of one instance (no Redis): 10 s snapshots into a bounded ring, points
 * that add up to Metrics.http, steps that merge snapshots exactly, and arguments refused
 * with BAD_USER_INPUT. The sampler's timer is stopped: sampleNow() takes each snapshot.
 */

const CARD = `query Card($range: DateRange!) { store(id: "2") { id revenue(range: $range) { total } } }`;
const HISTORY = `query History($minutes: Int, $stepSeconds: Int) {
  metrics {
    scope
    http { requests errors latency { count } }
    history(minutes: $minutes, stepSeconds: $stepSeconds) {
      at stepSeconds instances requests errors errorRate requestsPerSecond
      latency { count p99Ms maxMs } analyticsLatency { count }
      cacheHits cacheStaleHits cacheMisses cacheHitRate cacheFields { field hits staleHits misses }
      l1Bytes redisDegraded poolTotal poolIdle poolWaiting poolMax poolUtilizationPercent eventLoopLagP99Ms rssBytes
      jobsCompleted jobsFailed
    }
  }
}`;

let server: TestServer;
let history: MetricsHistory;

beforeAll(async () => {
  // No 10 s timer: every snapshot of this file is one the test takes.
  server = await startTestServer({ historyTimer: false });
  history = server.app.services.metricsHistory!;
});
afterAll(() => server?.stop());

describe('Metrics.history on one instance', () => {
  it('refuses windows the ring cannot answer with BAD_USER_INPUT naming the rule', async () => {
    const cases: Array<[Record<string, number>, RegExp]> = [
      [{ minutes: 0 }, /minutes must be an integer from 1 to 60, got 0/],
      [{ minutes: 61 }, /minutes must be an integer from 1 to 60, got 61/],
      [{ stepSeconds: 15 }, /stepSeconds must be a positive multiple of 10, got 15/],
      [{ stepSeconds: 0 }, /stepSeconds must be a positive multiple of 10, got 0/],
      [{ minutes: 1, stepSeconds: 70 }, /stepSeconds must be at most minutes × 60 \(60\), got 70/],
    ];
    for (const [variables, message] of cases) {
      const response = await server.request(HISTORY, { variables });
      expect(response.body.errors?.[0]?.extensions?.code, JSON.stringify(variables)).toBe('BAD_USER_INPUT');
      expect(response.body.errors?.[0]?.message).toMatch(message);
    }
  });

  it('a snapshot holds exactly the interval’s traffic, and the points add up to Metrics.http', async () => {
    await history.sampleNow(); // closes the interval of everything before
    const range = lastDays(20);
    expect((await server.request(CARD, { variables: { range } })).status).toBe(200); // cache misses
    expect((await server.request(CARD, { variables: { range } })).status).toBe(200); // hot path
    expect((await server.request('{ categories { id } }')).status).toBe(200);
    expect((await server.request('{ nope }')).status).toBe(400);
    expect((await server.request('{ categories { id } }', { key: 'gp_unknown_key_0000000000000000' })).status).toBe(401);
    const snapshot = await history.sampleNow();

    expect(snapshot).toMatchObject({ requests: 5, errors: 2 });
    expect(LatencyHistogram.decode(snapshot.latency).count).toBe(5);
    // Query.store and Store.revenue are @cached: timed once each by the one Apollo run (the hot path answers the second).
    expect(snapshot.analyticsLatency.count).toBe(2);
    expect(snapshot.cacheFields['Store.revenue']).toEqual({ hits: 1, staleHits: 0, misses: 1 });
    expect(snapshot.poolMax).toBe(server.app.services.config.DB_POOL_MAX);
    expect(snapshot.rssBytes).toBeGreaterThan(10_000_000);

    // One request reads both: Metrics.http counts every request before it, the ring holds all of them (none came after the snapshot).
    const metrics = dataOf(await server.request(HISTORY, { variables: { minutes: 60, stepSeconds: 10 } })).metrics;
    const sum = (pick: (p: (typeof metrics.history)[number]) => number) => metrics.history.reduce((t: number, p: any) => t + pick(p), 0);
    expect(metrics.scope).toBe('INSTANCE');
    expect(sum((p) => p.requests)).toBe(metrics.http.requests);
    expect(sum((p) => p.errors)).toBe(metrics.http.errors);
    expect(sum((p) => p.latency.count)).toBe(metrics.http.latency.count);

    const last = metrics.history.at(-1);
    expect(last.requests).toBeGreaterThanOrEqual(5);
    expect(last).toMatchObject({ stepSeconds: 10, instances: 1, redisDegraded: false, poolMax: server.app.services.config.DB_POOL_MAX });
    expect(new Date(last.at).getTime() % 10_000).toBe(0);
    expect(last.cacheFields.find((f: any) => f.field === 'Store.revenue')).toEqual({
      field: 'Store.revenue',
      hits: 1,
      staleHits: 0,
      misses: 1,
    });
    const times = metrics.history.map((p: any) => new Date(p.at).getTime());
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });

  it('samples every 10 s on wall-clock multiples of 10 s once started', async () => {
    const before = history.snapshots().length;
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'], now: Date.UTC(2026, 10, 30, 10, 0, 3) });
    try {
      history.start();
      await vi.advanceTimersByTimeAsync(6_999); // 10:00:09.999
      expect(history.snapshots().length).toBe(before);
      await vi.advanceTimersByTimeAsync(1); // 10:00:10
      await vi.advanceTimersByTimeAsync(10_000); // 10:00:20
      const taken = history.snapshots().slice(before);
      expect(taken.map((s) => new Date(s.to).toISOString())).toEqual(['2026-11-30T10:00:10.000Z', '2026-11-30T10:00:20.000Z']);
      expect(taken[1].from).toBe(taken[0].to);
    } finally {
      history.stop();
      vi.useRealTimers();
    }
  });

  it('stop() and start() while a snapshot is in flight leave one timer chain, not two', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'], now: Date.UTC(2026, 10, 30, 10, 0, 3) });
    // The tick's snapshot stays in flight until released (a slow Redis publish).
    let release: () => void = () => {};
    const taken: number[] = [];
    const sample = vi.spyOn(history, 'sampleNow').mockImplementation(() => {
      taken.push(Date.now());
      return taken.length === 1
        ? new Promise((resolve) => (release = () => resolve({} as MetricsSnapshot)))
        : Promise.resolve({} as MetricsSnapshot);
    });
    try {
      history.start();
      await vi.advanceTimersByTimeAsync(7_000); // 10:00:10: the first tick, still in flight
      expect(taken).toHaveLength(1);
      history.stop();
      history.start();
      release();
      await vi.advanceTimersByTimeAsync(30_000); // 10:00:40
      // Only the new chain's ticks: 10:00:20, :30, :40 (a second chain would double them).
      expect(taken.slice(1).map((t) => new Date(t).toISOString())).toEqual([
        '2026-11-30T10:00:20.000Z',
        '2026-11-30T10:00:30.000Z',
        '2026-11-30T10:00:40.000Z',
      ]);
    } finally {
      history.stop();
      sample.mockRestore();
      vi.useRealTimers();
    }
  });

  it('job outcomes of the alerts queue stay out of the points (failed_jobs_5m), not out of the queue counters', async () => {
    const outcomes = server.app.services.metrics!.jobOutcomes;
    await history.sampleNow();
    outcomes.record('alerts', 'failed');
    outcomes.record('alerts', 'completed');
    expect(await history.sampleNow()).toMatchObject({ jobsFailed: 0, jobsCompleted: 0 });
    outcomes.record('maintenance', 'failed');
    expect(await history.sampleNow()).toMatchObject({ jobsFailed: 1, jobsCompleted: 0 });
    expect(outcomes.totals().get('alerts')).toMatchObject({ failed: 1, completed: 1 });
  });

  it('metrics(instance:) without Redis: this instance’s own id only', async () => {
    const ONE = `query ($instance: ID) { metrics(instance: $instance) { instances { id self } } }`;
    const own = dataOf(await server.request(ONE, { variables: { instance: history.identity.id } })).metrics;
    expect(own.instances).toEqual([{ id: history.identity.id, self: true }]);
    const other = await server.request(ONE, { variables: { instance: 'another-host:1:abc' } });
    expect(other.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('keeps at most 360 snapshots (one hour)', async () => {
    for (let i = 0; i < 365; i += 1) await history.sampleNow();
    const kept = history.snapshots();
    expect(kept).toHaveLength(360);
    // The newest are kept, oldest first.
    expect(kept.every((s, i) => i === 0 || s.to >= kept[i - 1].to)).toBe(true);

    const ring = new SnapshotRing<number>(3);
    for (const n of [1, 2, 3, 4, 5]) ring.push(n);
    expect(ring.toArray()).toEqual([3, 4, 5]);
    expect(ring.newest(2)).toEqual([4, 5]);
  });
});

describe('steps merge snapshots', () => {
  const base = Date.UTC(2026, 10, 30, 9, 0, 0);
  function snapshot(instanceId: string, startS: number, latencies: number[], extra: Partial<MetricsSnapshot> = {}): MetricsSnapshot {
    const latency = new LatencyHistogram();
    for (const ms of latencies) latency.record(ms);
    return {
      instanceId,
      from: base + startS * 1000,
      to: base + (startS + 10) * 1000,
      requests: latencies.length,
      errors: 1,
      latency: latency.encode(),
      analyticsLatency: new LatencyHistogram().encode(),
      cacheFields: { 'Store.revenue': { hits: 2, staleHits: 1, misses: 1 } },
      jobsCompleted: 3,
      jobsFailed: 0,
      poolTotal: 2,
      poolIdle: 1,
      poolWaiting: 0,
      poolMax: 4,
      l1Bytes: 1000,
      breakerOpen: false,
      eventLoopLagP99Ms: 1,
      rssBytes: 100,
      ...extra,
    };
  }

  it('stepSeconds 20 merges two 10 s snapshots: counters summed, HDR merged exactly, last gauge, max lag', () => {
    const first = [1, 2, 3, 250];
    const second = [4, 5, 6, 7, 8, 9, 10, 400];
    const snapshots = [
      snapshot('a', 0, first),
      snapshot('a', 10, second, { poolTotal: 4, poolIdle: 0, eventLoopLagP99Ms: 7, l1Bytes: 2000 }),
    ];

    const tens = mergeIntoPoints(snapshots, 10);
    expect(tens.map((p) => [p.at.getTime() - base, p.requests])).toEqual([
      [0, 4],
      [10_000, 8],
    ]);

    const [point, ...rest] = mergeIntoPoints(snapshots, 20);
    expect(rest).toEqual([]);
    const everything = new LatencyHistogram();
    for (const ms of [...first, ...second]) everything.record(ms);
    const { sumMs: _sum, ...expectedLatency } = everything.summary();
    expect(point).toMatchObject({
      at: new Date(base),
      stepSeconds: 20,
      instances: 1,
      requests: 12,
      errors: 2,
      errorRate: 2 / 12,
      requestsPerSecond: 12 / 20,
      latency: expectedLatency,
      cacheHits: 4,
      cacheStaleHits: 2,
      cacheMisses: 2,
      cacheHitRate: 6 / 8,
      cacheFields: [{ field: 'Store.revenue', hits: 4, staleHits: 2, misses: 2 }],
      l1Bytes: 2000,
      poolTotal: 4,
      poolIdle: 0,
      poolMax: 4,
      poolUtilizationPercent: 100,
      eventLoopLagP99Ms: 7,
      jobsCompleted: 6,
    });
    expect(point.analyticsLatency.count).toBe(0);
  });

  it('merges instances: gauges summed per instance, job outcomes (queue-wide) not double counted', () => {
    const [point] = mergeIntoPoints([snapshot('a', 0, [1, 2]), snapshot('b', 0, [3], { breakerOpen: true, jobsCompleted: 3 })], 10);
    expect(point).toMatchObject({
      instances: 2,
      requests: 3,
      requestsPerSecond: expect.closeTo(0.3, 9),
      poolTotal: 4,
      poolMax: 8,
      poolUtilizationPercent: 25,
      l1Bytes: 2000,
      rssBytes: 200,
      redisDegraded: true,
      jobsCompleted: 3,
      cacheHitRate: 0.75,
    });
    expect(mergeIntoPoints([], 10)).toEqual([]);
  });
});
