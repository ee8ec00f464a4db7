import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { arch, cpus, loadavg, platform, release, totalmem } from 'node:os';
import { dirname } from 'node:path';
import type { LoadFigures } from './load.js';
import type { BenchOptions } from './options.js';
import type { PersistentData } from './persistent-data.js';

export interface ScenarioResult {
  name: string;
  target: string;
  description: string;
  /** DEMO_SCALE of the answering server's data (null: the baseline, which has none). */
  scale: number | null;
  /** What the single request before the load found wrong, or null. */
  precheck: string | null;
  figures: LoadFigures | null;
  /** Peak RSS of the answering server child during warmup and run, bytes. */
  peakRssBytes: number | null;
  ratioToBaseline: number | null;
  /**
   * CPU milliseconds per measured request: the server process itself, and its descendants
   * (the embedded Postgres). Stable where req/s is not: another process taking a core
   * lowers req/s, hardly the CPU each request costs. Null where /proc is missing.
   */
  cpuMsPerRequest: { server: number; database: number } | null;
  /** Why this scenario fails the run (empty = fine). */
  problems: string[];
}

const MB = 1024 * 1024;
const fixed = (value: number | null | undefined, digits: number) => (value === null || value === undefined ? '-' : value.toFixed(digits));

export function errorCount(result: ScenarioResult): number {
  const f = result.figures;
  return (
    (result.precheck ? 1 : 0) +
    (f ? f.non2xx + f.errors + f.timeouts + f.graphqlErrors + (f.unexpectedHits ?? 0) + (f.generatorError ? 1 : 0) : 0)
  );
}

/** The table's errors cell: the count, or "none done" when nothing completed. */
function errorsCell(result: ScenarioResult): string {
  const errors = errorCount(result);
  if (errors) return `${errors} !`;
  return result.figures?.requests === 0 ? 'none done !' : '0';
}

/** The problems of one scenario: any error of any kind, and a peak RSS over the limit. */
export function problemsOf(result: ScenarioResult, maxRssMb: number): string[] {
  const problems: string[] = [];
  if (result.precheck) problems.push(`pre-check: ${result.precheck}`);
  const f = result.figures;
  if (f) {
    if (f.requests === 0) problems.push('no request completed during the run (every response took longer than the run, or none came)');
    if (f.non2xx) problems.push(`${f.non2xx} non-2xx responses`);
    if (f.errors) problems.push(`${f.errors} connection errors`);
    if (f.timeouts) problems.push(`${f.timeouts} timeouts`);
    if (f.graphqlErrors) problems.push(`${f.graphqlErrors} responses with GraphQL errors`);
    if (f.unexpectedHits) problems.push(`${f.unexpectedHits} responses of a miss scenario had a cache hit on an analytic field`);
    if (f.generatorError) problems.push(`the body generator failed, the run stopped early: ${f.generatorError}`);
    if (f.errorSample) problems.push(`first bad response: ${f.errorSample}`);
  }
  if (result.peakRssBytes !== null && result.peakRssBytes > maxRssMb * MB) {
    problems.push(`peak RSS ${(result.peakRssBytes / MB).toFixed(1)} MB of the ${result.target} server exceeds ${maxRssMb} MB`);
  }
  return problems;
}

/** The results table, one line per scenario. */
export function formatTable(results: ScenarioResult[]): string {
  const header = ['scenario', 'scale', 'req/s', 'ratio to baseline', 'p50 ms', 'p99 ms', 'CPU ms/req server + db', 'peak RSS MB', 'errors'];
  const rows = results.map((r) => {
    const f = r.figures;
    return [
      r.name,
      r.scale === null ? '-' : String(r.scale),
      fixed(f?.requestsPerSec, 0),
      r.ratioToBaseline === null ? '-' : `${r.ratioToBaseline.toFixed(3)}x`,
      fixed(f?.latencyMs.p50, 1),
      fixed(f?.latencyMs.p99, 1),
      r.cpuMsPerRequest ? `${r.cpuMsPerRequest.server.toFixed(3)} + ${r.cpuMsPerRequest.database.toFixed(3)}` : '-',
      r.peakRssBytes === null ? '-' : (r.peakRssBytes / MB).toFixed(1),
      errorsCell(r),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (i === 0 ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}

function gitCommit(): string | null {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

export function machineInfo() {
  const list = cpus();
  return {
    cpus: list.length,
    cpuModel: list[0]?.model ?? 'unknown',
    totalMemoryMb: Math.round(totalmem() / MB),
    platform: `${platform()} ${release()} ${arch()}`,
    node: process.version,
    /** 1, 5 and 15-minute load averages when the run started: other work on the machine skews every figure. */
    loadAverage: loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

/** Writes the machine, the parameters and every scenario's figures as JSON. */
export function writeResults(
  path: string,
  options: BenchOptions,
  results: ScenarioResult[],
  startedAt: Date,
  machine: ReturnType<typeof machineInfo>,
  ok: boolean,
  /** The scale-1 data set the miss scenarios ran on (null: none ran, or --smoke). */
  missData: PersistentData | null,
): void {
  mkdirSync(dirname(path), { recursive: true });
  const document = {
    date: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    commit: gitCommit(),
    machine,
    params: {
      smoke: options.smoke,
      durationSec: options.durationSec,
      warmupSec: options.warmupSec,
      connections: options.connections,
      scale: options.scale,
      durable: options.durable,
      missData: missData && {
        dir: missData.dir,
        scale: missData.scale,
        from: missData.from,
        to: missData.to,
        seededAt: missData.seededAt,
        seedSeconds: missData.seedSeconds,
      },
      scenarios: results.map((r) => r.name),
      maxRssMb: options.maxRssMb,
      rssSampleIntervalMs: 200,
    },
    ok,
    scenarios: results.map((r) => ({
      name: r.name,
      target: r.target,
      description: r.description,
      scale: r.scale,
      requestsPerSec: r.figures ? Math.round(r.figures.requestsPerSec * 10) / 10 : null,
      ratioToBaseline: r.ratioToBaseline === null ? null : Math.round(r.ratioToBaseline * 10_000) / 10_000,
      peakRssMb: r.peakRssBytes === null ? null : Math.round((r.peakRssBytes / MB) * 10) / 10,
      cpuMsPerRequest: r.cpuMsPerRequest,
      errors: errorCount(r),
      precheck: r.precheck,
      figures: r.figures,
      problems: r.problems,
    })),
  };
  writeFileSync(path, `${JSON.stringify(document, null, 2)}\n`);
}
