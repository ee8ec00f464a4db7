/**
 * `npm run faults`: the reliability suite. Starts Debian's Postgres once, then runs each
 * scenario on real processes (`npm start`, `npm run worker`, redis-server) under steady
 * open-loop load, injects its fault, and prints one line of numbers per scenario: requests
 * sent, errors by code, max and p99 latency, time to recover, accepted writes lost and
 * duplicated. Exits 1 when a scenario failed (`--short`: correctness only), 2 on bad flags.
 */
import { spawnSync } from 'node:child_process';
import { parseFaultOptions, UsageError } from './options.js';
import { scenarioLines, timelineLines } from './report.js';
import { SCENARIOS } from './scenarios/index.js';
import { Verdict, type ScenarioOutcome } from './scenario.js';
import { FaultStack } from './stack.js';
import { debianPostgresInstalled, DEBIAN_POSTGRES_HINT } from './debian-postgres.js';

const log = (line: string) => console.log(line);

let options;
try {
  options = parseFaultOptions(
    process.argv.slice(2),
    SCENARIOS.map((s) => s.name),
  );
} catch (error) {
  if (!(error instanceof UsageError)) throw error;
  console.error(`faults: ${error.message}`);
  process.exit(2);
}

if (options.list) {
  for (const scenario of SCENARIOS) log(`${scenario.name.padEnd(22)} ${scenario.inShort ? '[short] ' : '        '}${scenario.goal}`);
  process.exit(0);
}

const missing = [
  ...(debianPostgresInstalled() ? [] : [`Debian's Postgres 15 (${DEBIAN_POSTGRES_HINT})`]),
  ...(spawnSync('redis-server', ['--version']).status === 0 ? [] : ['redis-server (apt-get install -y redis-server)']),
];
if (missing.length) {
  console.error(`faults: missing ${missing.join(' and ')}`);
  process.exit(1);
}

const selected = SCENARIOS.filter((s) => (options.scenarios ? options.scenarios.includes(s.name) : !options.short || s.inShort));
const runStarted = Date.now();
log(
  `faults: ${selected.length} scenario(s), ${options.short ? 'short' : 'full'} run, load ${options.rate} req/s, ${new Date().toISOString()}`,
);

let stack: FaultStack | null = null;
let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    console.error(`\nfaults: ${signal}: stopping every process started…`);
    void (stack?.close() ?? Promise.resolve()).finally(() => process.exit(130));
  });
}

let failed = 0;
try {
  stack = await FaultStack.open(log);
  for (const scenario of selected) {
    if (stopping) break;
    const started = Date.now();
    let outcome: ScenarioOutcome;
    try {
      outcome = await scenario.run(stack, { short: options.short, log: (line) => log(`  ${scenario.name}: ${line}`), rate: options.rate });
    } catch (error) {
      const verdict = new Verdict(options.short);
      verdict.require(false, `the scenario itself failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      outcome = { load: null, ledger: null, recoverMs: null, figures: {}, verdict };
    } finally {
      await stack.resetScenario();
    }
    for (const line of scenarioLines(scenario, outcome, Date.now() - started)) log(line);
    if (options.timeline && outcome.load) for (const line of timelineLines(outcome.load.outcomes)) log(line);
    if (!outcome.verdict.passed) failed += 1;
  }
} finally {
  await stack?.close();
}
log(`faults: ${selected.length - failed}/${selected.length} passed in ${((Date.now() - runStarted) / 1000).toFixed(0)} s`);
process.exit(failed ? 1 : 0);
