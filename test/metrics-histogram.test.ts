import { describe, expect, it } from 'vitest';
import { LatencyHistogram, RELATIVE_PRECISION } from '../src/metrics/latency-histogram.js';
import { ResolverRecorder } from '../src/metrics/resolver-recorder.js';

/** Deterministic samples (mulberry32) so a failure reproduces. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The true value at a percentile: nearest rank over the sorted samples (the test may sort; the code never does). */
function nearestRank(sorted: number[], percentile: number): number {
  // The epsilon undoes floating-point excess (99.9 / 100 × 20000 = 19980.000000000004), as HDR does with one ulp.
  return sorted[Math.max(0, Math.ceil((percentile / 100) * sorted.length - 1e-9) - 1)];
}

/** The stated precision: within 0.1 % of the true value, or the histogram's 1 µs unit for tiny values. */
function expectWithinPrecision(actual: number, truth: number): void {
  expect(Math.abs(actual - truth)).toBeLessThanOrEqual(truth * RELATIVE_PRECISION + 0.001);
}

const distributions: Record<string, (next: () => number) => number> = {
  'uniform 0-50 ms': (next) => next() * 50,
  'log-normal around 3 ms': (next) =>
    Math.exp(Math.log(3) + 1.2 * Math.sqrt(-2 * Math.log(next() || 1e-9)) * Math.cos(2 * Math.PI * next())),
  'bimodal 0.2 ms / 800 ms': (next) => (next() < 0.97 ? 0.2 + next() * 0.05 : 800 + next() * 400),
};

describe('LatencyHistogram (HDR, 3 significant digits)', () => {
  for (const [name, draw] of Object.entries(distributions)) {
    it(`percentiles of ${name} are within the stated precision of the true values`, () => {
      const next = random(42);
      const histogram = new LatencyHistogram();
      const samples: number[] = [];
      for (let i = 0; i < 20_000; i += 1) {
        const ms = draw(next);
        samples.push(ms);
        histogram.record(ms);
      }
      const sorted = [...samples].sort((a, b) => a - b);
      const summary = histogram.summary();
      expect(summary.count).toBe(samples.length);
      // Count and sum are exact; mean and max are reported to the µs.
      expect(summary.maxMs).toBe(Math.round(sorted[sorted.length - 1] * 1000) / 1000);
      expect(Math.abs(summary.meanMs - samples.reduce((s, v) => s + v, 0) / samples.length)).toBeLessThanOrEqual(0.0005);
      expectWithinPrecision(summary.p50Ms, nearestRank(sorted, 50));
      expectWithinPrecision(summary.p95Ms, nearestRank(sorted, 95));
      expectWithinPrecision(summary.p99Ms, nearestRank(sorted, 99));
      expectWithinPrecision(histogram.percentileMs(99.9), nearestRank(sorted, 99.9));
    });
  }

  it('is exact on a small known set and empty after reset', () => {
    const histogram = new LatencyHistogram();
    for (const ms of [1, 2, 3, 4, 5, 6, 7, 8, 9, 100]) histogram.record(ms);
    const summary = histogram.summary();
    expect(summary).toMatchObject({ count: 10, meanMs: 14.5, maxMs: 100, sumMs: 145 });
    expectWithinPrecision(summary.p50Ms, 5);
    expectWithinPrecision(summary.p95Ms, 100);
    histogram.reset();
    expect(histogram.summary()).toEqual({ count: 0, meanMs: 0, p50Ms: 0, p95Ms: 0, p99Ms: 0, maxMs: 0, sumMs: 0 });
  });
});

describe('ResolverRecorder', () => {
  it('orders fields by the requested key, leaves out idle fields and keeps records across reset', () => {
    const recorder = new ResolverRecorder();
    const slow = recorder.field('Store.revenue');
    const busy = recorder.field('Query.store');
    recorder.field('Store.funnel'); // wrapped but never called
    slow.record(40, false);
    slow.record(60, true);
    for (let i = 0; i < 5; i += 1) busy.record(1, false);
    expect(recorder.rows('P95_DESC').map((r) => r.field)).toEqual(['Store.revenue', 'Query.store']);
    expect(recorder.rows('COUNT_DESC', 1).map((r) => [r.field, r.count])).toEqual([['Query.store', 5]]);
    expect(recorder.rows('ERRORS_DESC')[0]).toMatchObject({ field: 'Store.revenue', count: 2, errors: 1 });
    expect(recorder.rows('TOTAL_TIME_DESC')[0].latency.sumMs).toBe(100);
    recorder.reset();
    expect(recorder.rows()).toEqual([]);
    slow.record(5, false); // the wrapper's record object stays valid after a reset
    expect(recorder.rows()).toMatchObject([{ field: 'Store.revenue', count: 1, errors: 0 }]);
  });
});
