/**
 * `npm run bench`: starts the baseline (bare Apollo) and graphpulse (embedded Postgres,
 * seeded) as child processes, loads each scenario with autocannon from this process,
 * prints req/s against the baseline, latency, peak RSS and errors, writes
 * bench/results/latest.json, stops everything it started and exits non-zero when a
 * scenario had errors or a server outgrew the RSS limit.
 */
import { precheck, runLoad, stopCurrentLoad } from './load.js';
import { parseOptions } from './options.js';
import { errorCount, formatTable, machineInfo, problemsOf, writeResults, type ScenarioResult } from './report.js';
import { summaryLines } from './summary.js';
import { sampleRss } from './rss-sampler.js';
import { selectScenarios } from './scenarios.js';
import { killAllSync } from './server-process.js';
import { removeDataDirsSync, startBaseline, startGraphpulse, stopStartingServers, type BenchServer, type ServerName } from './servers.js';

const servers = new Map<ServerName, BenchServer>();
let aborted = false;
let stopping: Promise<void> | null = null;

/** Stops every server child (graphpulse stops its Postgres; its DATA_DIR is then removed). Idempotent. */
function stopServers(): Promise<void> {
  return (stopping ??= (async () => {
    const stops = [...servers.values()].map((s) => s.stop());
    // Children still starting up (a signal during seeding) are not in `servers` yet.
    const failures = (await Promise.allSettled([...stops, stopStartingServers()])).filter((r) => r.status === 'rejected');
    servers.clear();
    for (const failure of failures) console.error(`bench: cleanup: ${(failure as PromiseRejectedResult).reason}`);
    if (failures.length) throw new Error('cleanup left something behind (see above)');
  })());
}

let firstSignalAt = 0;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (firstSignalAt) {
      // A terminal Ctrl-C reaches us twice (directly and relayed by tsx): only a later one forces.
      if (Date.now() - firstSignalAt < 1_000) return;
      console.error(`bench: second ${signal}: killing children now`);
      killAllSync();
      removeDataDirsSync();
      process.exit(130);
    }
    firstSignalAt = Date.now();
    console.error(`\nbench: ${signal}: stopping the load and every child process…`);
    aborted = true;
    stopCurrentLoad();
    stopServers().then(
      () => process.exit(130),
      () => process.exit(1),
    );
  });
}
// Last resort when something exits the process before stopServers() finished.
process.on('exit', () => {
  killAllSync();
  removeDataDirsSync();
});

async function main(): Promise<number> {
  const parsed = parseOptions(process.argv.slice(2));
  if (parsed === 'help') return 0;
  const options = parsed;
  const scenarios = selectScenarios(options.scenarios);
  const startedAt = new Date();
  const machine = machineInfo();
  console.log(
    `bench: ${scenarios.map((s) => s.name).join(', ')} — ${options.durationSec} s each after ${options.warmupSec} s warmup, ` +
      `${options.connections} connections, scale ${options.scale}; ${machine.cpus}× ${machine.cpuModel}, node ${machine.node}`,
  );

  if (machine.loadAverage[0] > machine.cpus / 2) {
    console.warn(`bench: warning: load average ${machine.loadAverage[0]} on ${machine.cpus} CPUs before start: other work will skew the figures`);
  }

  const targets = new Set(scenarios.map((s) => s.target));
  const starting = Date.now();
  // Started one after the other: seeding several embedded databases at once on 2 cores only slows each.
  const started: PromiseSettledResult<unknown>[] = [];
  for (const name of targets) {
    const starting = name === 'baseline' ? startBaseline() : startGraphpulse({ name, scale: options.scale, cpuProfDir: options.cpuProfDir });
    started.push(...(await Promise.allSettled([starting.then((s) => servers.set(name, s))])));
  }
  const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  console.log(`bench: servers ready in ${((Date.now() - starting) / 1000).toFixed(1)} s (${[...servers.values()].map((s) => `${s.name} pid ${s.pid}`).join(', ')})`);

  const results: ScenarioResult[] = [];
  const warmed = new Set<ServerName>();
  for (const scenario of scenarios) {
    if (aborted) break;
    const server = servers.get(scenario.target);
    if (!server) throw new Error(`no ${scenario.target} server for scenario ${scenario.name}`);
    const target = { url: server.url, headers: server.headers };
    const result: ScenarioResult = {
      name: scenario.name,
      target: scenario.target,
      description: scenario.description,
      precheck: await precheck(target, scenario),
      figures: null,
      peakRssBytes: null,
      ratioToBaseline: null,
      problems: [],
    };
    if (result.precheck) {
      console.log(`bench: ${scenario.name}: pre-check FAILED, not loaded: ${result.precheck}`);
    } else {
      process.stdout.write(`bench: ${scenario.name} … `);
      const sampler = sampleRss(server.pid);
      try {
        // A server's first scenario also pays its JIT warm-up: give that one a longer uncounted warmup.
        const warmupSec = warmed.has(scenario.target) ? options.warmupSec : options.warmupSec * 3;
        warmed.add(scenario.target);
        result.figures = await runLoad(target, scenario, { ...options, warmupSec });
      } finally {
        result.peakRssBytes = sampler.stop();
      }
      console.log(`${result.figures.requestsPerSec.toFixed(0)} req/s, p99 ${result.figures.latencyMs.p99} ms`);
    }
    results.push(result);
  }
  if (aborted) return 130;

  const baseline = results.find((r) => r.name === 'baseline')?.figures?.requestsPerSec ?? null;
  for (const result of results) {
    if (baseline && result.figures) result.ratioToBaseline = result.figures.requestsPerSec / baseline;
    result.problems = problemsOf(result, options.maxRssMb);
  }
  const ok = results.every((r) => r.problems.length === 0);

  console.log(`\n${formatTable(results)}\n`);
  for (const line of summaryLines(results)) console.log(line);
  console.log('ratio = req/s ÷ baseline req/s of this run; peak RSS = the server child process (not Postgres), warmup included.');
  writeResults(options.out, options, results, startedAt, machine, ok);
  console.log(`bench: results written to ${options.out}`);

  await stopServers();
  console.log(`bench: stopped ${[...targets].join(' and ')}${targets.has('graphpulse') ? ', its Postgres and data directory' : ''}`);
  if (!ok) {
    console.error('\nbench: FAILED');
    for (const r of results.filter((x) => x.problems.length)) {
      console.error(`  ${r.name} (${errorCount(r)} errors):`);
      for (const p of r.problems) console.error(`    - ${p}`);
    }
    return 1;
  }
  return 0;
}

main().then(
  async (code) => {
    await stopServers().catch(() => (code = code || 1));
    process.exit(code);
  },
  async (error: unknown) => {
    if (!aborted) console.error(`bench: ${error instanceof Error ? error.message : String(error)}`);
    await stopServers().catch(() => undefined);
    process.exit(aborted ? 130 : 1);
  },
);
