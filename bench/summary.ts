import type { ScenarioResult } from './report.js';

const rate = (results: ScenarioResult[], name: string) => results.find((r) => r.name === name)?.figures?.requestsPerSec ?? null;
const ratio = (a: number | null, b: number | null) => (a !== null && b ? `${(a / b).toFixed(3)}` : 'n/a');

/**
 * The figures the issues set goals for, each computed from this run's results and
 * printed beside its goal (ratios from one run are what is comparable on a noisy machine).
 */
export function summaryLines(results: ScenarioResult[]): string[] {
  const baseline = rate(results, 'baseline');
  const lines: string[] = [];
  const goal = (label: string, value: string, target: string) => lines.push(`  ${label.padEnd(46)} ${value.padStart(10)}   goal ${target}`);
  const p99 = (name: string) => results.find((r) => r.name === name)?.figures?.latencyMs.p99;
  goal('hot path (store.revenue) / baseline', ratio(rate(results, 'store.revenue'), baseline), '>= 1.3x, p99 <= 5 ms');
  goal('  store.revenue p99 ms', String(p99('store.revenue') ?? 'n/a'), '<= 5');
  goal('per-field hits (store.revenue:fields) / baseline', ratio(rate(results, 'store.revenue:fields'), baseline), '>= 0.6x, p99 <= 10 ms');
  goal('  store.revenue:fields p99 ms', String(p99('store.revenue:fields') ?? 'n/a'), '<= 10');
  goal('partial hits (partial-hit) / baseline', ratio(rate(results, 'partial-hit'), baseline), '>= 0.6x');
  const zipf = results.find((r) => r.name === 'zipf-mix')?.figures;
  goal('zipf-mix hit rate', zipf?.cacheHits != null && zipf.requests ? `${((zipf.cacheHits / zipf.requests) * 100).toFixed(1)}%` : 'n/a', '>= 95%');
  goal('metrics on/off (store.revenue / metrics-off)', ratio(rate(results, 'store.revenue'), rate(results, 'cached-read:metrics-off')), '>= 0.95');
  const batch = results.find((r) => r.name === 'ingest:batch')?.figures;
  goal('ingest events/s (1,000-event batches, 8 conns)', batch ? (batch.requestsPerSec * 1000).toFixed(0) : 'n/a', '>= 25000');
  goal('ingest single-event p99 ms', String(p99('ingest:single') ?? 'n/a'), '<= 20');
  return ['goals (this run):', ...lines];
}
