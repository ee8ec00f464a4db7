import type { LatencyHistogram } from './latency-histogram.js';
import type { Sample } from './snapshot-metric.js';

/**
 * Upper bounds (ms) of the Prometheus latency buckets. 100 and 200 are edges so the
 * default alert thresholds (event-loop lag 100 ms, analytics p99 200 ms) fall on a
 * bucket bound, where histogram_quantile is exact instead of interpolated.
 */
export const LATENCY_BUCKETS_MS = [1, 2.5, 5, 10, 25, 50, 100, 200, 250, 500, 1000, 2500, 5000, 10000] as const;

/** A bound in seconds as the `le` label: the shortest exact text (0.0025, 0.2, 10). */
const le = (ms: number) => String(ms / 1000);

/**
 * A latency histogram as Prometheus histogram samples in seconds, computed at scrape time
 * from the HDR counts: one cumulative `_bucket` per bound, `le="+Inf"` (every value),
 * `_sum` and `_count`.
 */
export function histogramSamples(latency: LatencyHistogram, labels: Record<string, string> = {}): Sample[] {
  const counts = latency.countsAtOrBelow(LATENCY_BUCKETS_MS);
  return [
    ...LATENCY_BUCKETS_MS.map((ms, i) => ({ labels: { ...labels, le: le(ms) }, value: counts[i], suffix: '_bucket' })),
    { labels: { ...labels, le: '+Inf' }, value: latency.count, suffix: '_bucket' },
    { labels, value: latency.sumMs / 1000, suffix: '_sum' },
    { labels, value: latency.count, suffix: '_count' },
  ];
}
