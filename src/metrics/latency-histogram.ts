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

/**
 * A histogram as it travels to another instance (metrics/history): the HDR counts,
 * compressed, with the exact count, sum and max beside them. Adding decoded histograms
 * is exact: the merge answers the percentiles of every value of every part.
 */
export interface EncodedLatency {
  hdr: string;
  count: number;
  sumMs: number;
  maxMs: number;
}

/**
 * Index-level reads of the JS histograms hdr.build returns (no WebAssembly): on the class,
 * not on the library's Histogram interface. countsAtOrBelow needs them to walk the counts.
 */
interface IndexedCounts {
  countsArrayLength: number;
  getCountAtIndex(index: number): number;
  /** The lowest value an index holds. */
  valueFromIndex(index: number): number;
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

  /** Every value of `other` recorded here too: an exact merge, the same as recording both sets into one. */
  add(other: LatencyHistogram): void {
    if (other.count === 0) return;
    this.histogram.add(other.histogram);
    this.count += other.count;
    this.sumMs += other.sumMs;
    if (other.maxMs > this.maxMs) this.maxMs = other.maxMs;
  }

  /** For another process (the cluster view); `LatencyHistogram.decode` gives back the same numbers. */
  encode(): EncodedLatency {
    return { hdr: hdr.encodeIntoCompressedBase64(this.histogram), count: this.count, sumMs: this.sumMs, maxMs: this.maxMs };
  }

  static decode(encoded: EncodedLatency): LatencyHistogram {
    const histogram = new LatencyHistogram();
    histogram.addEncoded(encoded);
    return histogram;
  }

  /** add(decode(encoded)) without the intermediate histogram: merging history decodes hundreds of these. */
  addEncoded(encoded: EncodedLatency): void {
    if (encoded.count === 0) return;
    this.histogram.add(hdr.decodeFromCompressedBase64(encoded.hdr));
    this.count += encoded.count;
    this.sumMs += encoded.sumMs;
    if (encoded.maxMs > this.maxMs) this.maxMs = encoded.maxMs;
  }

  /**
   * How many values were at or below each edge (ms, ascending): cumulative Prometheus
   * buckets. The HDR bucket that holds an edge counts as at or below it, so a value may
   * count under an edge it passes by less than the histogram's resolution (0.1 %), never
   * the other way round (a value at or below an edge always counts under it).
   */
  countsAtOrBelow(edgesMs: readonly number[]): number[] {
    const counts = edgesMs.map(() => 0);
    if (this.count === 0) return counts;
    const indexed = this.histogram as unknown as IndexedCounts;
    const edgesMicros = edgesMs.map((ms) => Math.round(ms * 1000));
    let seen = 0;
    let edge = 0;
    // Indexes run in value order: one pass fills every edge.
    for (let index = 0; index < indexed.countsArrayLength && edge < edgesMicros.length; index += 1) {
      const count = indexed.getCountAtIndex(index);
      if (count === 0) continue;
      const lowest = indexed.valueFromIndex(index);
      while (edge < edgesMicros.length && lowest > edgesMicros[edge]) counts[edge++] = seen;
      seen += count;
    }
    while (edge < edgesMicros.length) counts[edge++] = seen;
    return counts;
  }

  reset(): void {
    this.histogram.reset();
    this.count = 0;
    this.sumMs = 0;
    this.maxMs = 0;
  }
}
