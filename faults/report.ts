import type { RequestOutcome } from './load.js';
import type { Scenario, ScenarioOutcome } from './scenario.js';

const ms = (value: number) => (value >= 10_000 ? `${(value / 1000).toFixed(1)}s` : `${Math.round(value)}ms`);

/** One line of numbers per scenario, then one indented line per failed check or missed goal. */
export function scenarioLines(scenario: Scenario, outcome: ScenarioOutcome, elapsedMs: number): string[] {
  const parts: string[] = [scenario.name.padEnd(22), outcome.verdict.passed ? 'PASS' : 'FAIL'];
  const load = outcome.load;
  if (load) {
    const errors = Object.entries(load.errors)
      .sort((a, b) => b[1] - a[1])
      .map(([code, count]) => `${code}:${count}`)
      .join(',');
    parts.push(`sent=${load.sent}`, `ok=${load.ok}`, `errors=${errors || '0'}`, `max=${ms(load.maxMs)}`, `p99=${ms(load.p99Ms)}`);
  }
  if (outcome.recoverMs !== null) parts.push(`recover=${ms(outcome.recoverMs)}`);
  if (outcome.ledger) {
    const l = outcome.ledger;
    parts.push(`accepted=${l.accepted}`, `lost=${l.lost}`, `dup=${l.duplicated}`, `half=${l.halfWritten}`);
  }
  const extra = Object.entries(outcome.figures).map(([name, value]) => `${name}=${typeof value === 'number' ? Math.round(value) : value}`);
  const lines = [[...parts, ...(extra.length ? ['|', ...extra] : []), `(${ms(elapsedMs)})`].join(' ')];
  for (const failure of outcome.verdict.failures) lines.push(`    FAILED: ${failure}`);
  for (const missed of outcome.verdict.missedGoals) lines.push(`    goal missed (reported, not enforced in --short): ${missed}`);
  return lines;
}

/** Per-second buckets of a load (sent, ok, failures by code, p99 of the bucket): `--timeline`, to see where a fault hurt. */
export function timelineLines(outcomes: readonly RequestOutcome[]): string[] {
  const buckets = new Map<number, RequestOutcome[]>();
  for (const o of outcomes) {
    const second = Math.floor(o.sentAt / 1000);
    const bucket = buckets.get(second);
    if (bucket) bucket.push(o);
    else buckets.set(second, [o]);
  }
  return [...buckets.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([second, list]) => {
      const latencies = list.map((o) => o.latencyMs).sort((a, b) => a - b);
      const failures: Record<string, number> = {};
      for (const o of list) if (o.outcome !== 'ok') failures[o.outcome] = (failures[o.outcome] ?? 0) + 1;
      const p99 = latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * 0.99))];
      const failed = Object.entries(failures)
        .map(([code, n]) => `${code}:${n}`)
        .join(',');
      return `    t=${String(second).padStart(3)}s sent=${list.length} p99=${ms(p99)} max=${ms(latencies.at(-1)!)} ${failed}`;
    });
}
