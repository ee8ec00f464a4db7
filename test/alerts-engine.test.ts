import { describe, expect, it } from 'vitest';
import { evaluateAlerts, summaryOf } from '../src/alerts/alert-engine.js';
import type { AlertRule } from '../src/alerts/alert-rules.js';
import type { AlertStatus } from '../src/alerts/alert-status.js';
import { metricValue, type AlertInputPoint } from '../src/alerts/alert-values.js';

/** The pure alert engine: every transition, `for`, no data, and the metric values it reads from history points. */

const T0 = Date.UTC(2026, 10, 30, 10, 0, 0);
const at = (seconds: number) => new Date(T0 + seconds * 1000);

function point(seconds: number, fields: Partial<AlertInputPoint> = {}): AlertInputPoint {
  return {
    at: at(seconds),
    requestsPerSecond: 0,
    errorRate: 0,
    latency: { count: 0, p99Ms: 0 },
    analyticsLatency: { count: 0, p99Ms: 0 },
    cacheHitRate: null,
    redisDegraded: false,
    poolWaiting: 0,
    eventLoopLagP99Ms: 0,
    rssBytes: 0,
    jobsFailed: 0,
    ...fields,
  };
}

const waiting: AlertRule = { name: 'PoolSaturated', metric: 'pool_waiting', op: '>', threshold: 5, forSeconds: 30 };

/**
 * Runs one rule through evaluations at the given seconds (multiples of 10), each seeing one fresh point with
 * `poolWaiting` = the value: in the newest complete step (the one that ended 10 s ago; the one that just ended
 * is still settling).
 */
function run(rule: AlertRule, steps: Array<[seconds: number, value: number | null]>) {
  let previous = new Map<string, AlertStatus>();
  const log: Array<{ at: number; state: string; transitions: string[] }> = [];
  let last: AlertStatus | undefined;
  for (const [seconds, value] of steps) {
    const points = value === null ? [] : [point(seconds - (seconds % 10) - 20, { poolWaiting: value })];
    const result = evaluateAlerts([rule], previous, points, at(seconds));
    previous = new Map(result.statuses.map((s) => [s.name, s]));
    last = result.statuses[0];
    log.push({ at: seconds, state: last.state, transitions: result.transitions.map((t) => `${t.previousState}->${t.state}`) });
  }
  return { log, last: last! };
}

describe('alert engine transitions', () => {
  it('INACTIVE → PENDING → FIRING after `for`, → RESOLVED, → PENDING again, → INACTIVE', () => {
    const { log, last } = run(waiting, [
      [0, 1], // below: stays INACTIVE, no transition
      [10, 9], // holds: PENDING
      [20, 9],
      [30, 9], // held 20 s < 30 s: still PENDING
      [40, 9], // held 30 s: FIRING
      [50, 9],
      [60, 2], // stops: RESOLVED
      [70, 2],
      [80, 7], // holds again: PENDING
      [90, 3], // stops before `for`: INACTIVE
    ]);
    expect(log.map((l) => l.state)).toEqual([
      'INACTIVE',
      'PENDING',
      'PENDING',
      'PENDING',
      'FIRING',
      'FIRING',
      'RESOLVED',
      'RESOLVED',
      'PENDING',
      'INACTIVE',
    ]);
    expect(log.flatMap((l) => l.transitions)).toEqual([
      'INACTIVE->PENDING',
      'PENDING->FIRING',
      'FIRING->RESOLVED',
      'RESOLVED->PENDING',
      'PENDING->INACTIVE',
    ]);
    expect(last.lastFiredAt).toEqual(at(40));
    expect(last.lastResolvedAt).toEqual(at(60));
    expect(last.since).toEqual(at(90));
    expect(last.value).toBe(3);
  });

  it('for = 0 fires at the first evaluation that sees the condition (one transition), and resolves', () => {
    const { log } = run({ ...waiting, forSeconds: 0 }, [
      [0, 9],
      [10, 9],
      [20, 0],
      [30, 9],
    ]);
    expect(log.map((l) => l.transitions)).toEqual([['INACTIVE->FIRING'], [], ['FIRING->RESOLVED'], ['RESOLVED->FIRING']]);
  });

  it('a FIRING alert whose data stops resolves; a PENDING one goes back to INACTIVE; no data never fires', () => {
    expect(
      run(waiting, [
        [0, 9],
        [10, 9],
        [30, 9],
        [40, null],
      ]).log.map((l) => l.state),
    ).toEqual(['PENDING', 'PENDING', 'FIRING', 'RESOLVED']);
    expect(
      run(waiting, [
        [0, 9],
        [10, null],
      ]).log.map((l) => l.state),
    ).toEqual(['PENDING', 'INACTIVE']);
    const noData = run({ ...waiting, op: '>=', threshold: 0, forSeconds: 0 }, [
      [0, null],
      [10, null],
    ]);
    expect(noData.log.map((l) => l.state)).toEqual(['INACTIVE', 'INACTIVE']);
    expect(noData.last.value).toBeNull();
    expect(noData.last.since).toBeNull();
    expect(noData.last.summary).toBe('pool_waiting no data >= 0 for 0s');
  });

  it('a point older than the two last complete steps is no data', () => {
    const rule: AlertRule = { ...waiting, forSeconds: 0 };
    const fresh = evaluateAlerts([rule], new Map(), [point(100, { poolWaiting: 9 })], at(131.9));
    expect(fresh.statuses[0].state).toBe('FIRING');
    const stale = evaluateAlerts([rule], new Map(), [point(100, { poolWaiting: 9 })], at(132));
    expect(stale.statuses[0]).toMatchObject({ state: 'INACTIVE', value: null });
  });

  it('the newest step is read only once it has settled (ended 2 s ago): before, other instances may not have published into it', () => {
    // Step 110 (110-120 s) holds a partial value; step 100 is complete.
    const points = [point(100, { poolWaiting: 9 }), point(110, { poolWaiting: 1 })];
    expect(metricValue('pool_waiting', points, at(121.9).getTime())).toBe(9);
    expect(metricValue('pool_waiting', points, at(122).getTime())).toBe(1);
    // The step under way is never read, however many snapshots it holds already.
    expect(metricValue('pool_waiting', [point(120, { poolWaiting: 9 })], at(125).getTime())).toBeNull();
  });

  it('a status of a rule whose definition changed starts again; other rules are independent', () => {
    const firing = run({ ...waiting, forSeconds: 0 }, [[0, 9]]).last;
    expect(firing.state).toBe('FIRING');
    const changed = evaluateAlerts(
      [{ ...waiting, threshold: 50, forSeconds: 0 }],
      new Map([[firing.name, firing]]),
      [point(10, { poolWaiting: 9 })],
      at(10),
    );
    expect(changed.statuses[0].state).toBe('INACTIVE');
    expect(changed.transitions).toEqual([]);
  });

  it('transitions carry the rule, both states, the value and a summary', () => {
    const result = evaluateAlerts(
      [{ name: 'AnalyticsSlow', metric: 'analytics_p99_ms', op: '>', threshold: 200, forSeconds: 0 }],
      new Map(),
      [point(0, { analyticsLatency: { count: 4, p99Ms: 312.4 } })],
      at(12),
    );
    expect(result.transitions).toEqual([
      {
        name: 'AnalyticsSlow',
        metric: 'analytics_p99_ms',
        op: '>',
        threshold: 200,
        state: 'FIRING',
        previousState: 'INACTIVE',
        value: 312.4,
        at: at(12),
        summary: 'analytics_p99_ms 312 ms > 200 for 0s',
      },
    ]);
    expect(summaryOf({ name: 'x', metric: 'cache_hit_rate_percent', op: '<', threshold: 80, forSeconds: 300 }, 71.234)).toBe(
      'cache_hit_rate_percent 71.2 % < 80 for 5m',
    );
  });
});

describe('alert metric values', () => {
  // Step 590 (590-600 s) is the newest complete one 2 s after its end.
  const now = T0 + 602_000;
  it('failed_jobs_5m sums jobsFailed over the last 5 minutes only', () => {
    const points = [
      point(290, { jobsFailed: 7 }), // 312 s before now: outside the window
      point(310, { jobsFailed: 1 }),
      point(450, { jobsFailed: 2 }),
      point(590, { jobsFailed: 3 }),
    ];
    expect(metricValue('failed_jobs_5m', points, now)).toBe(6);
    // Without a recent point there is no data, whatever the window holds.
    expect(metricValue('failed_jobs_5m', points.slice(0, 3), now)).toBeNull();
  });

  it('reads each metric from the newest point, in its unit', () => {
    const newest = point(590, {
      requestsPerSecond: 12.5,
      errorRate: 0.025,
      latency: { count: 10, p99Ms: 40 },
      analyticsLatency: { count: 0, p99Ms: 0 },
      cacheHitRate: 0.75,
      redisDegraded: true,
      poolWaiting: 3,
      eventLoopLagP99Ms: 21,
      rssBytes: 200 * 1024 * 1024,
    });
    const points = [point(580, { requestsPerSecond: 99, cacheHitRate: 0.1 }), newest];
    expect(metricValue('requests_per_second', points, now)).toBe(12.5);
    expect(metricValue('error_rate_percent', points, now)).toBe(2.5);
    expect(metricValue('http_p99_ms', points, now)).toBe(40);
    expect(metricValue('analytics_p99_ms', points, now)).toBeNull(); // no analytic reads in the step
    expect(metricValue('cache_hit_rate_percent', points, now)).toBe(75);
    expect(metricValue('redis_degraded', points, now)).toBe(1);
    expect(metricValue('pool_waiting', points, now)).toBe(3);
    expect(metricValue('event_loop_lag_p99_ms', points, now)).toBe(21);
    expect(metricValue('rss_mb', points, now)).toBe(200);
    expect(metricValue('cache_hit_rate_percent', [point(590)], now)).toBeNull();
    expect(metricValue('redis_degraded', [point(590)], now)).toBe(0);
  });
});
