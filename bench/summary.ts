import { MISS_FIELDS } from './miss-combos.js';
import type { ScenarioResult } from './report.js';

const figuresOf = (results: ScenarioResult[], name: string) => results.find((r) => r.name === name)?.figures ?? null;
const rate = (results: ScenarioResult[], name: string) => figuresOf(results, name)?.requestsPerSec ?? null;

/**
 * The figures the issues set goals for, each computed from this run's results and
 * printed beside its goal with whether this run met it (ratios from one run are what
 * is comparable on a noisy machine). n/a: the scenario did not run.
 */
export function summaryLines(results: ScenarioResult[], run: { smoke: boolean; durable: boolean }): string[] {
  const baseline = rate(results, 'baseline');
  const lines: string[] = [];
  const goal = (label: string, value: number | null, digits: number, target: string, met: (v: number) => boolean) =>
    lines.push(
      `  ${label.padEnd(62)} ${(value === null ? 'n/a' : value.toFixed(digits)).padStart(10)}   goal ${target.padEnd(12)}${value === null ? '' : met(value) ? ' met' : ' NOT met'}`,
    );
  const ratio = (name: string, over = baseline) => {
    const value = rate(results, name);
    return value !== null && over ? value / over : null;
  };
  const p99 = (name: string) => figuresOf(results, name)?.latencyMs.p99 ?? null;
  const atMost = (limit: number) => (v: number) => v <= limit;
  const atLeast = (limit: number) => (v: number) => v >= limit;

  goal('hot path (store.revenue) / baseline', ratio('store.revenue'), 3, '>= 1.3x', atLeast(1.3));
  goal('  store.revenue p99 ms', p99('store.revenue'), 0, '<= 5', atMost(5));
  goal('per-field hits (store.revenue:fields) / baseline', ratio('store.revenue:fields'), 3, '>= 0.6x', atLeast(0.6));
  goal('  store.revenue:fields p99 ms', p99('store.revenue:fields'), 0, '<= 10', atMost(10));
  goal('partial hits (partial-hit) / baseline', ratio('partial-hit'), 3, '>= 0.5x', atLeast(0.5));
  const missScale = results.find((r) => r.target === 'graphpulse-miss')?.scale;
  const missLabel = run.smoke ? `scale ${missScale ?? '?'} (smoke, not 1)` : `scale ${missScale ?? 1}`;
  goal(`miss (all fields, ${missLabel}, 20 conns) p99 ms`, p99('miss'), 0, '<= 150', atMost(150));
  for (const field of MISS_FIELDS) goal(`  miss:${field} p99 ms`, p99(`miss:${field}`), 0, '<= 150', atMost(150));
  goal('dashboard:fields p99 ms', p99('dashboard:fields'), 0, '<= 200', atMost(200));
  const zipf = figuresOf(results, 'zipf-mix');
  goal(
    'zipf-mix hit rate %',
    zipf?.cacheHits != null && zipf.requests ? (zipf.cacheHits / zipf.requests) * 100 : null,
    1,
    '>= 95',
    atLeast(95),
  );
  goal(
    'metrics on/off (store.revenue / metrics-off)',
    ratio('store.revenue', rate(results, 'cached-read:metrics-off')),
    3,
    '>= 0.95',
    atLeast(0.95),
  );
  const commits = run.durable ? 'durable' : 'fsync off';
  const batch = rate(results, 'ingest:batch');
  goal(`ingest events/s (1,000-event batches, 8 conns, ${commits})`, batch === null ? null : batch * 1000, 0, '>= 50000', atLeast(50_000));
  goal(`ingest single-event p99 ms (8 conns, ${commits})`, p99('ingest:single'), 0, '<= 10', atMost(10));
  return ['goals (this run):', ...lines];
}
