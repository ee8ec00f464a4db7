/**
 * `npm run bench`: starts the baseline (bare Apollo) and graphpulse variants (embedded
 * Postgres, seeded at start) as child processes, loads each scenario with autocannon
 * from this process, then — for the miss scenarios — stops those variants and starts
 * graphpulse on the persistent scale-1 data (seeded by the first run that needs it).
 * Prints req/s against the baseline, latency, peak RSS and errors, writes
 * bench/results/latest.json, stops everything it started (keeping the scale-1 data) and
 * exits non-zero when a scenario had errors or a server outgrew the RSS limit.
 */
import { createProgress, formatDuration, type Progress } from '../src/progress.js';
import { precheck, runLoad, stopCurrentLoad } from './load.js';
import { parseOptions, type BenchOptions } from './options.js';
import { ensurePersistentData, shortPath, type PersistentData } from './persistent-data.js';
import { errorCount, formatTable, machineInfo, problemsOf, writeResults, type ScenarioResult } from './report.js';
import { summaryLines } from './summary.js';
import { sampleRss } from './rss-sampler.js';
import { cpuSecondsOf } from './procfs.js';
import { bodyGenerator, selectScenarios } from './scenarios.js';
import { killAllSync } from './server-process.js';
import { removeDataDirsSync, startBaseline, startGraphpulse, stopStartingServers, type BenchServer, type ServerName } from './servers.js';
import { rangeDayCount, utcDayOf } from '../src/days.js';

/** The server of the miss scenarios: scale 1 in a persistent directory (a temp scale-0.01 one with --smoke). */
const MISS_TARGET: ServerName = 'graphpulse-miss';

const servers = new Map<ServerName, BenchServer>();
let aborted = false;
let stopping: Promise<void> | null = null;

/** Stops every child (graphpulse stops its Postgres; a temp DATA_DIR is then removed, the scale-1 one kept). Idempotent. */
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

/** Starts one server child, announcing it (seeding at start takes seconds; the scale-1 data is already seeded). */
async function startServer(
  name: ServerName,
  options: BenchOptions,
  persistent: PersistentData | null,
  durableTargets: Set<ServerName>,
): Promise<BenchServer> {
  if (name === 'baseline') {
    console.log('bench: starting baseline (bare Apollo Server 5)…');
    return startBaseline();
  }
  const onPersistent = name === MISS_TARGET && persistent !== null;
  const scale = onPersistent ? persistent.scale : options.scale;
  const durable = options.durable && durableTargets.has(name);
  console.log(
    `bench: starting ${name} (scale ${scale}, ` +
      `${onPersistent ? `data of ${persistent.from} .. ${persistent.to} in ${shortPath(persistent.dir)}, SEED=none` : 'temp database seeded at start'}` +
      `${durable ? ', durable commits' : ''})…`,
  );
  const started = Date.now();
  const server = await startGraphpulse({
    name,
    scale,
    cpuProfDir: options.cpuProfDir,
    fastCommits: !durable,
    seeded: onPersistent ? { dir: persistent.dir, from: persistent.from, to: persistent.to } : null,
  });
  console.log(
    `bench: ${name} ready in ${((Date.now() - started) / 1000).toFixed(1)} s (pid ${server.pid}, ${server.data?.storeIds.length} stores)`,
  );
  return server;
}

/**
 * Progress of one scenario's load (on stderr: a bar on a terminal, a line per phase and
 * every ~5 s elsewhere): warmup, then measured, ticked each second from the planned
 * durations (autocannon runs them back to back), with the ETA of the whole run's load.
 */
function scenarioProgress(tag: string, warmupSec: number, durationSec: number, laterLoadSec: number) {
  const progress: Progress = createProgress({ label: `bench: ${tag}`, unit: 's', showRate: false });
  const loadSec = warmupSec + durationSec;
  let second = 0;
  let timer: NodeJS.Timeout | null = null;
  const runEta = () => `load ETA of the run ${formatDuration((laterLoadSec + Math.max(0, loadSec - second)) * 1000)}`;
  return {
    start() {
      progress.phase(warmupSec > 0 ? 'warmup' : 'measured', warmupSec > 0 ? warmupSec : durationSec, 's');
      timer = setInterval(() => {
        second += 1;
        if (second > loadSec) return;
        progress.tick(1, runEta());
        if (second === warmupSec) progress.phase('measured', durationSec, 's');
      }, 1_000).unref();
    },
    end(ok: boolean) {
      if (timer) clearInterval(timer);
      if (ok) progress.done(`load done in ${second} s; ${runEta()}`);
      else progress.abort();
    },
  };
}

/** Stops the graphpulse servers no later scenario needs (the miss server runs alone after the others). */
async function stopServersExcept(keep: Set<ServerName>): Promise<void> {
  for (const [name, server] of [...servers]) {
    if (keep.has(name)) continue;
    await server.stop();
    servers.delete(name);
    console.log(`bench: stopped ${name}`);
  }
}

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
    console.warn(
      `bench: warning: load average ${machine.loadAverage[0]} on ${machine.cpus} CPUs before start: other work will skew the figures`,
    );
  }
  const durableTargets = new Set(scenarios.filter((s) => s.itemsPerRequest).map((s) => s.target));
  if (options.durable) {
    console.log(`bench: --durable: ${[...durableTargets].join(', ') || 'no server'} (ingestion) runs with durable commits (fsync on)`);
  }

  // The miss scenarios run last, on their own server: the scale-1 data set, seeded once (minutes) and reused.
  const missScenarios = scenarios.filter((s) => s.target === MISS_TARGET);
  let persistent: PersistentData | null = null;
  if (missScenarios.length && options.smoke) {
    console.log(
      `bench: --smoke: the miss scenarios run at scale ${options.scale} on a temp database, NOT scale 1 (no scale-1 seed in CI): their figures are not the scale-1 goals`,
    );
  } else if (missScenarios.length) {
    persistent = await ensurePersistentData(options.dataDir, 1, options.reseed);
    const ageDays = rangeDayCount({ from: persistent.to, to: utcDayOf(startedAt) }) - 1;
    console.log(
      `bench: miss scenarios on scale ${persistent.scale}: ${shortPath(persistent.dir)}, data ${persistent.from} .. ${persistent.to}` +
        `${ageDays > 0 ? ` (seeded ${ageDays} days ago: ranges stay inside those days; --reseed for fresh data)` : ''}`,
    );
  }
  if (aborted) return 130;
  const phases = [scenarios.filter((s) => s.target !== MISS_TARGET), missScenarios].filter((p) => p.length);

  const results: ScenarioResult[] = [];
  const warmed = new Set<ServerName>();
  let index = 0;
  // Seconds of load still planned (warmups and measured runs), for the progress lines' ETA.
  const planned = new Set<ServerName>();
  let loadLeftSec = phases.flat().reduce((sum, s) => {
    const first = !planned.has(s.target);
    planned.add(s.target);
    return sum + (first ? options.warmupSec * 3 : options.warmupSec) + options.durationSec;
  }, 0);
  for (const phase of phases) {
    const targets = new Set(phase.map((s) => s.target));
    // The baseline outlives its phase: every ratio divides by the baseline run of the first.
    await stopServersExcept(new Set([...targets, 'baseline']));
    // Started one after the other: seeding several embedded databases at once on 2 cores only slows each.
    for (const name of targets) {
      if (aborted) break;
      if (!servers.has(name)) servers.set(name, await startServer(name, options, persistent, durableTargets));
    }
    for (const scenario of phase) {
      if (aborted) break;
      index += 1;
      const server = servers.get(scenario.target);
      if (!server) throw new Error(`no ${scenario.target} server for scenario ${scenario.name}`);
      const target = { url: server.url, headers: server.headers };
      const scale = server.data?.scale ?? null;
      const connections = scenario.connections ?? options.connections;
      // A server's first scenario also pays its JIT warm-up: give that one a longer uncounted warmup.
      const warmupSec = warmed.has(scenario.target) ? options.warmupSec : options.warmupSec * 3;
      const tag = `[${index}/${scenarios.length}] ${scenario.name}`;
      console.log(
        `bench: ${tag}: ${scenario.target}${scale === null ? '' : `, scale ${scale}`}, ${connections} connections, ` +
          `pre-check, ${warmupSec} s warmup, ${options.durationSec} s measured…`,
      );
      const next = bodyGenerator(scenario, server.data);
      loadLeftSec -= warmupSec + options.durationSec;
      const result: ScenarioResult = {
        name: scenario.name,
        target: scenario.target,
        description: scenario.description,
        scale,
        precheck: await precheck(target, scenario, next),
        figures: null,
        peakRssBytes: null,
        ratioToBaseline: null,
        cpuMsPerRequest: null,
        problems: [],
      };
      if (result.precheck) {
        console.log(`bench: ${tag}: pre-check FAILED, not loaded: ${result.precheck}`);
      } else {
        const sampler = sampleRss(server.pid);
        const progress = scenarioProgress(tag, warmupSec, options.durationSec, loadLeftSec);
        let loaded = false;
        try {
          warmed.add(scenario.target);
          progress.start();
          let cpuAtStart: ReturnType<typeof cpuSecondsOf> = null;
          let cpuAtEnd: ReturnType<typeof cpuSecondsOf> = null;
          result.figures = await runLoad(
            target,
            scenario,
            next,
            { ...options, warmupSec },
            {
              start: () => (cpuAtStart = cpuSecondsOf(server.pid)),
              end: () => (cpuAtEnd = cpuSecondsOf(server.pid)),
            },
          );
          result.cpuMsPerRequest = cpuPerRequest(cpuAtStart, cpuAtEnd, result.figures.requests);
          loaded = true;
        } finally {
          progress.end(loaded && !aborted);
          result.peakRssBytes = sampler.stop();
        }
        const f = result.figures;
        const rss = result.peakRssBytes === null ? '?' : (result.peakRssBytes / 1024 / 1024).toFixed(0);
        const cpu = result.cpuMsPerRequest;
        console.log(
          `bench: ${tag}: ${f.requestsPerSec.toFixed(0)} req/s, p50 ${f.latencyMs.p50} ms, p99 ${f.latencyMs.p99} ms, peak RSS ${rss} MB` +
            (cpu ? `, CPU per request ${cpu.server.toFixed(3)} ms server + ${cpu.database.toFixed(3)} ms database` : ''),
        );
      }
      results.push(result);
    }
  }
  if (aborted) return 130;

  const baseline = results.find((r) => r.name === 'baseline')?.figures?.requestsPerSec ?? null;
  for (const result of results) {
    if (baseline && result.figures) result.ratioToBaseline = result.figures.requestsPerSec / baseline;
    result.problems = problemsOf(result, options.maxRssMb);
  }
  const ok = results.every((r) => r.problems.length === 0);

  console.log(`\n${formatTable(results)}\n`);
  for (const line of summaryLines(results, { smoke: options.smoke, durable: options.durable })) console.log(line);
  console.log(
    'ratio = req/s ÷ baseline req/s of this run; peak RSS = the server child process (not Postgres), warmup included; scale = DEMO_SCALE of its data.',
  );
  writeResults(options.out, options, results, startedAt, machine, ok, persistent);
  console.log(`bench: results written to ${options.out}`);

  const stopped = [...servers.keys()];
  await stopServers();
  console.log(
    `bench: stopped ${stopped.join(', ')}; temp data directories removed` +
      `${persistent ? `, ${shortPath(persistent.dir)} kept for the next run` : ''}`,
  );
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

function cpuPerRequest(
  start: ReturnType<typeof cpuSecondsOf>,
  end: ReturnType<typeof cpuSecondsOf>,
  requests: number,
): ScenarioResult['cpuMsPerRequest'] {
  if (!start || !end || requests <= 0) return null;
  return { server: ((end.own - start.own) * 1000) / requests, database: ((end.descendants - start.descendants) * 1000) / requests };
}
