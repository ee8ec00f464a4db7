import type { IntervalLatency } from './history/interval-latency.js';
import { LatencyHistogram, type LatencySummaryData } from './latency-histogram.js';

/** One timed field coordinate; the timing wrapper holds it directly (no lookup per call). */
export class FieldTimings {
  count = 0;
  errors = 0;
  readonly latency = new LatencyHistogram();
  /** Set for analytic (@cached) fields: their calls also feed the history's interval histogram. */
  interval: IntervalLatency | null = null;

  constructor(readonly field: string) {}

  record(durationMs: number, failed: boolean): void {
    this.count += 1;
    if (failed) this.errors += 1;
    this.latency.record(durationMs);
    this.interval?.record(durationMs);
  }

  reset(): void {
    this.count = 0;
    this.errors = 0;
    this.latency.reset();
  }
}

export type ResolverOrderName = 'P95_DESC' | 'P99_DESC' | 'MEAN_DESC' | 'COUNT_DESC' | 'ERRORS_DESC' | 'TOTAL_TIME_DESC';

export interface ResolverRow {
  field: string;
  count: number;
  errors: number;
  latency: LatencySummaryData;
}

export const RESOLVER_ORDER_KEYS: Record<ResolverOrderName, (row: ResolverRow) => number> = {
  P95_DESC: (r) => r.latency.p95Ms,
  P99_DESC: (r) => r.latency.p99Ms,
  MEAN_DESC: (r) => r.latency.meanMs,
  COUNT_DESC: (r) => r.count,
  ERRORS_DESC: (r) => r.errors,
  TOTAL_TIME_DESC: (r) => r.latency.sumMs,
};

/** Per-field resolver timings of the fields that do work (see resolver-timing.ts). */
export class ResolverRecorder {
  private readonly fields = new Map<string, FieldTimings>();

  /** The record of a coordinate, created at wrap time. */
  field(coordinate: string): FieldTimings {
    let timings = this.fields.get(coordinate);
    if (!timings) this.fields.set(coordinate, (timings = new FieldTimings(coordinate)));
    return timings;
  }

  /** Fields called since the last reset, best first by `orderBy` (ties by name, so the order is stable). */
  rows(orderBy: ResolverOrderName = 'P95_DESC', top = Number.POSITIVE_INFINITY): ResolverRow[] {
    const key = RESOLVER_ORDER_KEYS[orderBy];
    const rows: ResolverRow[] = [];
    for (const t of this.fields.values()) {
      if (t.count > 0) rows.push({ field: t.field, count: t.count, errors: t.errors, latency: t.latency.summary() });
    }
    rows.sort((a, b) => key(b) - key(a) || a.field.localeCompare(b.field));
    return rows.slice(0, top);
  }

  /** Every timed field with its since-start histogram, for the cluster view (metrics/history). */
  timings(): Iterable<FieldTimings> {
    return this.fields.values();
  }

  /** Records the calls of these coordinates (the @cached fields) into `interval` too: the history's analytics latency. */
  markAnalytic(coordinates: Iterable<string>, interval: IntervalLatency): void {
    for (const coordinate of coordinates) this.field(coordinate).interval = interval;
  }

  reset(): void {
    for (const timings of this.fields.values()) timings.reset();
  }
}
