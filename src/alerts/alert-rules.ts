/**
 * What an alert rule is, the metric names a rule may watch (the documented list of
 * docs/api.md) and the default rules. No runtime dependencies: src/config.ts parses
 * ALERT_RULES with parseAlertRules before anything starts.
 */

/** Each metric a rule may name, with what it measures (docs/api.md lists the same). */
export const ALERT_METRICS = {
  http_p99_ms: 'HTTP /graphql latency p99 of the newest 10 s step, ms',
  analytics_p99_ms: 'resolver latency p99 of the @cached (analytic) fields in the newest step, ms',
  error_rate_percent: 'requests answered with errors in the newest step, % of requests (0 without requests)',
  cache_hit_rate_percent: 'cache reads answered from the cache (fresh or stale) in the newest step, %; no data without cache reads',
  failed_jobs_5m: 'jobs failed (all queues) over the last 5 minutes',
  pool_waiting: 'requests waiting for a Postgres pool connection (newest step)',
  event_loop_lag_p99_ms: 'event-loop lag p99 (newest step, the worst instance), ms',
  redis_degraded: '1 when the Redis circuit breaker was open during the newest step, else 0',
  requests_per_second: 'requests per second in the newest step',
  rss_mb: 'resident memory (newest step, summed over instances), MB',
} as const;

export type AlertMetric = keyof typeof ALERT_METRICS;
export const ALERT_METRIC_NAMES = Object.keys(ALERT_METRICS) as AlertMetric[];

export const ALERT_OPS = ['>', '>=', '<', '<='] as const;
export type AlertOp = (typeof ALERT_OPS)[number];

export interface AlertRule {
  readonly name: string;
  readonly metric: AlertMetric;
  readonly op: AlertOp;
  readonly threshold: number;
  /** How long the condition must hold before the alert fires (0: at the first evaluation that sees it). */
  readonly forSeconds: number;
}

/** The thresholds of the systems graphpulse was designed from. */
export const DEFAULT_ALERT_RULES: readonly AlertRule[] = Object.freeze([
  { name: 'AnalyticsSlow', metric: 'analytics_p99_ms', op: '>', threshold: 200, forSeconds: 60 },
  { name: 'HighErrorRate', metric: 'error_rate_percent', op: '>', threshold: 1, forSeconds: 60 },
  { name: 'LowCacheHitRate', metric: 'cache_hit_rate_percent', op: '<', threshold: 80, forSeconds: 300 },
  { name: 'JobsFailing', metric: 'failed_jobs_5m', op: '>', threshold: 0, forSeconds: 0 },
  { name: 'PoolSaturated', metric: 'pool_waiting', op: '>', threshold: 5, forSeconds: 30 },
  { name: 'EventLoopLag', metric: 'event_loop_lag_p99_ms', op: '>', threshold: 100, forSeconds: 60 },
  { name: 'RedisDegraded', metric: 'redis_degraded', op: '>', threshold: 0, forSeconds: 30 },
] satisfies AlertRule[]);

export function compare(value: number, op: AlertOp, threshold: number): boolean {
  switch (op) {
    case '>':
      return value > threshold;
    case '>=':
      return value >= threshold;
    case '<':
      return value < threshold;
    case '<=':
      return value <= threshold;
  }
}

const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600 };

/** "30s", "1m", "5m", "1h", "500ms" or a number of seconds → whole seconds; null when it is none of these. */
export function parseDuration(value: unknown): number | null {
  let seconds: number;
  if (typeof value === 'number') seconds = value;
  else if (typeof value === 'string') {
    const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(value.trim());
    if (!match) return null;
    seconds = Number(match[1]) * UNIT_SECONDS[match[2]];
  } else return null;
  if (!Number.isFinite(seconds) || seconds < 0 || seconds > 86_400) return null;
  return Math.round(seconds);
}

/** "1m", "30s", "0s": how a summary shows a rule's `for`. */
export function formatDuration(seconds: number): string {
  if (seconds > 0 && seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds > 0 && seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}

const NAME = /^[A-Za-z][\w.-]{0,63}$/;

/**
 * ALERT_RULES' JSON → rules, or every problem found (each names the rule and the bad
 * value; an unknown metric lists the valid ones).
 */
export function parseAlertRules(text: string): { rules: AlertRule[] } | { problems: string[] } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return { problems: [`expected JSON [{ "name", "metric", "op", "threshold", "for" }], ${(error as Error).message}`] };
  }
  if (!Array.isArray(parsed)) return { problems: ['expected a JSON array of rules [{ "name", "metric", "op", "threshold", "for" }]'] };
  const problems: string[] = [];
  const rules: AlertRule[] = [];
  const names = new Set<string>();
  parsed.forEach((entry: unknown, index) => {
    const where = `rule ${index + 1}`;
    if (!entry || typeof entry !== 'object' || Array.isArray(entry)) {
      problems.push(`${where}: expected an object { "name", "metric", "op", "threshold", "for" }`);
      return;
    }
    const rule = entry as Record<string, unknown>;
    const unknownKeys = Object.keys(rule).filter((key) => !['name', 'metric', 'op', 'threshold', 'for'].includes(key));
    const before = problems.length;
    const name = rule.name;
    if (typeof name !== 'string' || !NAME.test(name)) {
      problems.push(`${where}: name ${JSON.stringify(name)} must be 1-64 characters [A-Za-z0-9_.-] starting with a letter`);
    } else if (names.has(name)) problems.push(`${where}: duplicate name "${name}"`);
    else names.add(name);
    const label = typeof name === 'string' ? `rule "${name}"` : where;
    if (unknownKeys.length) problems.push(`${label}: unknown field(s) ${unknownKeys.join(', ')}`);
    if (typeof rule.metric !== 'string' || !Object.hasOwn(ALERT_METRICS, rule.metric)) {
      problems.push(`${label}: unknown metric ${JSON.stringify(rule.metric)}; known: ${ALERT_METRIC_NAMES.join(', ')}`);
    }
    if (!ALERT_OPS.includes(rule.op as AlertOp))
      problems.push(`${label}: op ${JSON.stringify(rule.op)} must be one of ${ALERT_OPS.join(' ')}`);
    if (typeof rule.threshold !== 'number' || !Number.isFinite(rule.threshold)) {
      problems.push(`${label}: threshold ${JSON.stringify(rule.threshold)} must be a finite number`);
    }
    const forSeconds = parseDuration(rule.for ?? 0);
    if (forSeconds === null) {
      problems.push(`${label}: for ${JSON.stringify(rule.for)} must be a duration such as "30s", "1m", "5m" or seconds (0..86400)`);
    }
    if (problems.length === before) {
      rules.push({
        name: name as string,
        metric: rule.metric as AlertMetric,
        op: rule.op as AlertOp,
        threshold: rule.threshold as number,
        forSeconds: forSeconds as number,
      });
    }
  });
  return problems.length ? { problems } : { rules };
}
