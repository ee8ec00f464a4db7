import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

export interface BenchOptions {
  /** Seconds of measured load per scenario (default 10; 2 with --smoke). */
  durationSec: number;
  /** Seconds of uncounted load before each measured run (default 2; 1 with --smoke). */
  warmupSec: number;
  /** Concurrent HTTP connections of the load generator (default 50). */
  connections: number;
  /** DEMO_SCALE of the bench databases seeded at start (default 0.05; 0.01 with --smoke); the miss scenarios use scale 1. */
  scale: number;
  /**
   * The persistent scale-1 data directory of the miss scenarios (default bench/.data/scale-1,
   * absolute here): seeded the first time, reused and never deleted after. Unused with --smoke.
   */
  dataDir: string;
  /** Delete dataDir and seed it again before the miss scenarios (default false). */
  reseed: boolean;
  /** Ingestion with durable commits: the server answering ingest:* runs with EMBEDDED_PG_FAST=false (default false). */
  durable: boolean;
  /** Scenario names to run besides the baseline; empty = all. */
  scenarios: string[];
  smoke: boolean;
  /** Peak RSS of any server child above this fails the run (default 300 MB). */
  maxRssMb: number;
  /** Write a V8 CPU profile of the graphpulse child to this directory (on its exit). */
  cpuProfDir: string | null;
  /** Where the JSON results go (default bench/results/latest.json). */
  out: string;
}

const USAGE = `npm run bench -- [options]
  --smoke               2 s per scenario, 1 s warmup, scale 0.01 (CI); the miss scenarios also
                        run at scale 0.01 (labelled), scale 1 is never seeded
  --duration <s>        measured seconds per scenario (default 10)
  --warmup <s>          uncounted warmup seconds before each run (default 2)
  --connections <n>     concurrent connections (default 50; the miss scenarios use 20, ingestion 8)
  --scale <n>           DEMO_SCALE of the databases seeded at start (default 0.05)
  --scenario a[,b]      only these scenarios (the baseline always runs)
  --data-dir <dir>      persistent scale-1 data of the miss scenarios (default bench/.data/scale-1):
                        seeded by the first run that needs it (minutes), reused afterwards
  --reseed              delete that directory and seed scale 1 again first
  --durable             ingestion with durable commits (fsync on) instead of the throwaway fsync-off database
  --max-rss <MB>        fail when a server's peak RSS exceeds this (default 300)
  --cpu-prof            CPU-profile the graphpulse child (written when it exits)
  --cpu-prof-dir <dir>  where the .cpuprofile goes (default bench/results/profiles)
  --out <file>          results file (default bench/results/latest.json)`;

function positive(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} expects a positive number, got "${text}"\n\n${USAGE}`);
  return value;
}

/** Parses the bench command line; throws with the usage text on a bad flag. */
export function parseOptions(argv: string[]): BenchOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      smoke: { type: 'boolean', default: false },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      connections: { type: 'string' },
      scale: { type: 'string' },
      'data-dir': { type: 'string' },
      reseed: { type: 'boolean', default: false },
      durable: { type: 'boolean', default: false },
      scenario: { type: 'string', multiple: true },
      'max-rss': { type: 'string' },
      'cpu-prof': { type: 'boolean', default: false },
      'cpu-prof-dir': { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 'help';
  }
  const smoke = values.smoke ?? false;
  const connections = positive('connections', values.connections, 50);
  if (!Number.isInteger(connections)) throw new Error(`--connections expects an integer, got "${values.connections}"`);
  const cpuProf = values['cpu-prof'] || values['cpu-prof-dir'] !== undefined;
  return {
    smoke,
    durationSec: positive('duration', values.duration, smoke ? 2 : 10),
    warmupSec: values.warmup === '0' ? 0 : positive('warmup', values.warmup, smoke ? 1 : 2),
    connections,
    scale: positive('scale', values.scale, smoke ? 0.01 : 0.05),
    dataDir: resolve(values['data-dir'] ?? 'bench/.data/scale-1'),
    reseed: values.reseed ?? false,
    durable: values.durable ?? false,
    scenarios: (values.scenario ?? [])
      .flatMap((s) => s.split(','))
      .map((s) => s.trim())
      .filter(Boolean),
    maxRssMb: positive('max-rss', values['max-rss'], 300),
    cpuProfDir: cpuProf ? (values['cpu-prof-dir'] ?? 'bench/results/profiles') : null,
    out: values.out ?? 'bench/results/latest.json',
  };
}
