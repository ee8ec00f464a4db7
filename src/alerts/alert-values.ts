import type { AlertMetric } from './alert-rules.js';

/**
 * The part of a metrics history point (src/metrics/history, the MetricsPoint shape) that
 * alert rules read; the history's points fit it as they are.
 */
export interface AlertInputPoint {
  readonly at: Date;
  readonly requestsPerSecond: number;
  readonly errorRate: number;
  readonly latency: { readonly count: number; readonly p99Ms: number };
  readonly analyticsLatency: { readonly count: number; readonly p99Ms: number };
  readonly cacheHitRate: number | null;
  readonly redisDegraded: boolean;
  readonly poolWaiting: number;
  readonly eventLoopLagP99Ms: number;
  readonly rssBytes: number;
  readonly jobsFailed: number;
}

/** The history's step: rules read 10-s points. */
export const ALERT_STEP_MS = 10_000;
const FAILED_JOBS_WINDOW_MS = 5 * 60_000;
const MB = 1024 * 1024;

/**
 * How long after its end a step is taken as complete: every instance samples on the same
 * 10-s wall-clock boundaries, and their publishes into the step that just ended land within
 * this (a step read earlier may hold some instances only, e.g. half the requests).
 */
export const STEP_SETTLE_MS = 2_000;

/**
 * The point of the newest complete step (ended at least STEP_SETTLE_MS before `now`), when
 * it is recent: one of the last two complete steps. A snapshot lands in the step holding the
 * middle of its 10 s, so a step fills as it ends; a step without any snapshot has no point,
 * and once two complete steps in a row have none (sampling stopped) there is no data.
 */
export function newestPoint<P extends AlertInputPoint>(points: readonly P[], now: number): P | null {
  // Start of the newest step whose end is at least STEP_SETTLE_MS ago.
  const newestComplete = Math.floor((now - STEP_SETTLE_MS) / ALERT_STEP_MS) * ALERT_STEP_MS - ALERT_STEP_MS;
  const oldestFresh = newestComplete - ALERT_STEP_MS;
  let newest: P | null = null;
  for (const point of points) {
    const at = point.at.getTime();
    if (at <= newestComplete && at >= oldestFresh && (!newest || at > newest.at.getTime())) newest = point;
  }
  return newest;
}

/** A percentile of a step without samples says nothing: no data, not 0 ms. */
const p99Of = (summary: { count: number; p99Ms: number }) => (summary.count > 0 ? summary.p99Ms : null);

/** The value of `metric` at `now` over `points` (oldest first or in any order); null = no data. */
export function metricValue(metric: AlertMetric, points: readonly AlertInputPoint[], now: number): number | null {
  const point = newestPoint(points, now);
  if (!point) return null;
  switch (metric) {
    case 'http_p99_ms':
      return p99Of(point.latency);
    case 'analytics_p99_ms':
      return p99Of(point.analyticsLatency);
    case 'error_rate_percent':
      return point.errorRate * 100;
    case 'cache_hit_rate_percent':
      return point.cacheHitRate === null ? null : point.cacheHitRate * 100;
    case 'failed_jobs_5m':
      return points.filter((p) => p.at.getTime() > now - FAILED_JOBS_WINDOW_MS).reduce((sum, p) => sum + p.jobsFailed, 0);
    case 'pool_waiting':
      return point.poolWaiting;
    case 'event_loop_lag_p99_ms':
      return point.eventLoopLagP99Ms;
    case 'redis_degraded':
      return point.redisDegraded ? 1 : 0;
    case 'requests_per_second':
      return point.requestsPerSecond;
    case 'rss_mb':
      return point.rssBytes / MB;
  }
}
