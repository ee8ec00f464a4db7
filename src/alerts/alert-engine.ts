import { compare, formatDuration, type AlertRule } from './alert-rules.js';
import type { AlertStateName, AlertStatus, AlertTransition } from './alert-status.js';
import { metricValue, type AlertInputPoint } from './alert-values.js';

export interface AlertEvaluation {
  /** Every rule, in the order of the rules. */
  readonly statuses: AlertStatus[];
  /** The state changes of this evaluation, in the order of the rules. */
  readonly transitions: AlertTransition[];
}

const UNITS: Record<string, string> = {
  http_p99_ms: ' ms',
  analytics_p99_ms: ' ms',
  event_loop_lag_p99_ms: ' ms',
  error_rate_percent: ' %',
  cache_hit_rate_percent: ' %',
  rss_mb: ' MB',
  requests_per_second: ' req/s',
};

/** Enough digits to read, not the float's noise: 312.4567 → 312, 0.01234 → 0.0123. */
function shown(value: number): string {
  return String(Math.abs(value) >= 100 ? Math.round(value) : Number(value.toPrecision(3)));
}

/** e.g. "analytics_p99_ms 312 ms > 200 for 1m"; "no data" when there is no value. */
export function summaryOf(rule: AlertRule, value: number | null): string {
  const current = value === null ? 'no data' : `${shown(value)}${UNITS[rule.metric] ?? ''}`;
  return `${rule.metric} ${current} ${rule.op} ${rule.threshold} for ${formatDuration(rule.forSeconds)}`;
}

/** A rule never evaluated: INACTIVE, no value. */
export function initialStatus(rule: AlertRule): AlertStatus {
  return {
    name: rule.name,
    metric: rule.metric,
    op: rule.op,
    threshold: rule.threshold,
    forSeconds: rule.forSeconds,
    state: 'INACTIVE',
    value: null,
    since: null,
    lastFiredAt: null,
    lastResolvedAt: null,
    summary: summaryOf(rule, null),
  };
}

/** A status carried over only for the same rule: a rule whose definition changed (new config) starts again. */
export function sameRule(status: AlertStatus, rule: AlertRule): boolean {
  return (
    status.metric === rule.metric && status.op === rule.op && status.threshold === rule.threshold && status.forSeconds === rule.forSeconds
  );
}

/** The state after `state` when the condition holds (or not) at `now`, the current state having begun at `since`. */
function nextState(state: AlertStateName, holds: boolean, rule: AlertRule, since: Date | null, now: number): AlertStateName {
  if (!holds) {
    if (state === 'PENDING') return 'INACTIVE';
    if (state === 'FIRING') return 'RESOLVED';
    return state;
  }
  if (state === 'INACTIVE' || state === 'RESOLVED') return rule.forSeconds === 0 ? 'FIRING' : 'PENDING';
  if (state === 'PENDING' && since && now - since.getTime() >= rule.forSeconds * 1000) return 'FIRING';
  return state;
}

/**
 * One evaluation of every rule over a metrics history, pure: the previous statuses (by
 * rule name; missing ones start INACTIVE) and the points in, the new statuses and the
 * transitions out. States: INACTIVE → PENDING when the condition holds (FIRING at once
 * when `for` is 0) → FIRING once it has held for `for` → RESOLVED when it stops holding;
 * a PENDING that stops holding goes back to INACTIVE; a RESOLVED whose condition holds
 * again is PENDING again. No data (no recent point, or no value) never holds.
 */
export function evaluateAlerts(
  rules: readonly AlertRule[],
  previous: ReadonlyMap<string, AlertStatus>,
  points: readonly AlertInputPoint[],
  now: Date,
): AlertEvaluation {
  const statuses: AlertStatus[] = [];
  const transitions: AlertTransition[] = [];
  for (const rule of rules) {
    const carried = previous.get(rule.name);
    const before = carried && sameRule(carried, rule) ? carried : initialStatus(rule);
    const value = metricValue(rule.metric, points, now.getTime());
    const holds = value !== null && compare(value, rule.op, rule.threshold);
    const state = nextState(before.state, holds, rule, before.since, now.getTime());
    const summary = summaryOf(rule, value);
    if (state === before.state) {
      statuses.push({ ...before, value, summary });
      continue;
    }
    statuses.push({
      ...before,
      state,
      value,
      summary,
      since: now,
      lastFiredAt: state === 'FIRING' ? now : before.lastFiredAt,
      lastResolvedAt: state === 'RESOLVED' ? now : before.lastResolvedAt,
    });
    transitions.push({
      name: rule.name,
      metric: rule.metric,
      op: rule.op,
      threshold: rule.threshold,
      state,
      previousState: before.state,
      value,
      at: now,
      summary,
    });
  }
  return { statuses, transitions };
}
