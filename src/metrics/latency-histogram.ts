import * as hdr from 'hdr-histogram-js';

/**
 * Percentile precision of every latency in Metrics and /metrics: an HDR histogram with
 * 3 significant digits over microseconds, so a reported percentile is within 0.1 % of
 * the true sample at that rank (or 1 µs, whichever is larger). Count, mean and max are
 * kept exactly beside it.
 */
export const SIGNIFICANT_DIGITS = 3;
/** Relative error bound that follows from SIGNIFICANT_DIGITS. */
export const RELATIVE_PRECISION = 10 ** -SIGNIFICANT_DIGITS;
/** Values above an hour are recorded as an hour: nothing we time legitimately runs longer. */
const HIGHEST_MICROS = 3_600_000_000;

/** ms rounded to the µs the histogram records (exact count and sum stay unrounded). */
const toMicros = (ms: number) => Math.round(ms * 1000) / 1000;

export interface LatencySummaryData {
  count: number;
  meanMs: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Exact sum, for Prometheus `_sum`. */
  sumMs: number;
}

/** Latencies in milliseconds in, percentiles out — never by sorting samples. */
export class LatencyHistogram {
  // autoResize: memory grows with the range actually seen (~9 KB for sub-ms values, ~35 KB up to seconds).
  private readonly histogram = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 2,
    numberOfSignificantValueDigits: SIGNIFICANT_DIGITS,
    autoResize: true,
  });
  count = 0;
  sumMs = 0;
  maxMs = 0;

  record(ms: number): void {
    const micros = Math.min(HIGHEST_MICROS, Math.max(1, Math.round(ms * 1000)));
    this.histogram.recordValue(micros);
    this.count += 1;
    this.sumMs += ms;
    if (ms > this.maxMs) this.maxMs = ms;
  }

  /**
   * The value at a percentile (0..100) in ms; 0 when nothing was recorded. HDR answers
   * with the top of the sample's bucket, which may pass the exact max: no percentile can.
   */
  percentileMs(percentile: number): number {
    return this.count === 0 ? 0 : Math.min(this.histogram.getValueAtPercentile(percentile) / 1000, toMicros(this.maxMs));
  }

  summary(): LatencySummaryData {
    return {
      count: this.count,
      meanMs: this.count === 0 ? 0 : toMicros(this.sumMs / this.count),
      p50Ms: this.percentileMs(50),
      p95Ms: this.percentileMs(95),
      p99Ms: this.percentileMs(99),
      maxMs: toMicros(this.maxMs),
      sumMs: this.sumMs,
    };
  }

  reset(): void {
    this.histogram.reset();
    this.count = 0;
    this.sumMs = 0;
    this.maxMs = 0;
  }
}
