import type { Metric, Registry } from 'prom-client';
import type { LatencySummaryData } from './latency-histogram.js';

export interface Sample {
  labels?: Record<string, string | number>;
  value: number;
  /** Appended to the metric name (`_sum`, `_count` of a summary; `_bucket` of a histogram). */
  suffix?: string;
}

export interface SnapshotMetricOptions {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'summary' | 'histogram';
  /** Called at every scrape: the values come from MetricsRegistry, never from a second count. */
  read: () => Sample[] | Promise<Sample[]>;
}

/**
 * A prom-client metric whose values are read at scrape time. prom-client's own Summary
 * keeps its own samples and quantiles; ours must export the HDR numbers GraphQL shows,
 * so this object implements the registry's get() contract directly (the one cast below:
 * prom-client's Metric type names only its own classes).
 */
export function registerSnapshotMetric(registry: Registry, options: SnapshotMetricOptions): void {
  const { name, help, type } = options;
  const metric = {
    name,
    help,
    type,
    aggregator: 'sum' as const,
    get: async () => ({
      name,
      help,
      type,
      aggregator: 'sum' as const,
      values: (await options.read()).map((s) => ({
        value: s.value,
        labels: s.labels ?? {},
        metricName: s.suffix ? `${name}${s.suffix}` : undefined,
      })),
    }),
    // The values live in MetricsRegistry; resetMetrics is its job (the resetMetrics mutation).
    reset: () => undefined,
  };
  registry.registerMetric(metric as unknown as Metric);
}

/** Whole µs (what the histogram holds) in seconds, without float residue such as 0.0067670000000000004. */
const seconds = (ms: number) => Math.round(ms * 1000) / 1e6;

/** A latency summary as Prometheus summary samples in seconds: quantiles, _sum and _count. */
export function summarySamples(latency: LatencySummaryData, labels: Record<string, string> = {}): Sample[] {
  return [
    { labels: { ...labels, quantile: '0.5' }, value: seconds(latency.p50Ms) },
    { labels: { ...labels, quantile: '0.95' }, value: seconds(latency.p95Ms) },
    { labels: { ...labels, quantile: '0.99' }, value: seconds(latency.p99Ms) },
    { labels, value: latency.sumMs / 1000, suffix: '_sum' },
    { labels, value: latency.count, suffix: '_count' },
  ];
}
