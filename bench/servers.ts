import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { WINDOW_DAYS } from '../db/seed/world.js';
import { removeDataDir, stopPostgresOf } from './data-dir.js';
import { reaper } from './reaper-client.js';
import type { ServerData } from './scenarios.js';
import { startServerProcess, stopAllServerProcesses, type ServerProcess } from './server-process.js';
import { rangeDayCount } from '../src/days.js';

/** The admin key of the bench database: ADMIN is not rate limited, so load is not throttled. */
export const BENCH_ADMIN_KEY = 'gp_bench_admin_key_0123456789abcdef';

/** Temp DATA_DIRs not yet removed. */
const dataDirs = new Set<string>();
/** Persistent data directories a child may still run a Postgres on (checked, never removed). */
const keptDirs = new Set<string>();

/**
 * The server children a run may need: the bare-Apollo baseline, graphpulse as shipped,
 * graphpulse without the hot path (per-field cache only), without instrumentation, and
 * graphpulse as shipped on the miss scenarios' data (scale 1 in a persistent directory).
 */
export type ServerName = 'baseline' | 'graphpulse' | 'graphpulse-fields' | 'graphpulse-metrics-off' | 'graphpulse-miss';

/** Environment that makes each graphpulse variant differ from the default one. */
export const GRAPHPULSE_VARIANTS: Record<Exclude<ServerName, 'baseline'>, Record<string, string>> = {
  graphpulse: {},
  'graphpulse-fields': { HOT_PATH: 'false' },
  'graphpulse-metrics-off': { METRICS_ENABLED: 'false' },
  'graphpulse-miss': {},
};

export interface BenchServer extends ServerProcess {
  /** Headers every request to this server carries. */
  headers: Record<string, string>;
  /** What its database holds (null: the baseline). */
  data: ServerData | null;
}

const HEADERS = { 'content-type': 'application/json', authorization: `Bearer ${BENCH_ADMIN_KEY}` };

/** Only what a Node child needs from our environment: never the caller's DATABASE_URL, REDIS_URL, PORT… */
export function baseEnv(): Record<string, string> {
  const keep = ['PATH', 'HOME', 'TMPDIR', 'LANG', 'TZ'];
  return Object.fromEntries(keep.flatMap((k) => (process.env[k] ? [[k, process.env[k] as string]] : [])));
}

export async function startBaseline(): Promise<BenchServer> {
  const server = await startServerProcess({
    name: 'baseline',
    nodeArgs: ['--import', 'tsx', 'bench/baseline-server.ts'],
    env: { ...baseEnv(), NODE_ENV: 'production' },
    urlPattern: /GraphQL at (http:\/\/\S+\/graphql)/,
    startTimeoutMs: 30_000,
  });
  return { ...server, headers: HEADERS, data: null };
}

export interface GraphpulseOptions {
  name: Exclude<ServerName, 'baseline'>;
  /** DEMO_SCALE of the data: seeded at start in a temp directory, or the scale `seeded` holds. */
  scale: number;
  cpuProfDir: string | null;
  /** EMBEDDED_PG_FAST: fsync and synchronous commit off (throwaway data); false = durable commits. */
  fastCommits: boolean;
  /** A persistent directory already seeded, with its data's first and last day (started with SEED=none, kept afterwards), or null for a temp one. */
  seeded: { dir: string; from: string; to: string } | null;
}

/** The Postgres data under a graphpulse DATA_DIR: what its postmaster's command line names. */
const postgresDirOf = (dataDir: string) => join(dataDir, 'pg');

/**
 * graphpulse as `npm start` runs it (tools/run-compiled.mjs src/main.ts) on an embedded database: a fresh one in a
 * temp DATA_DIR seeded at start, or a persistent seeded one (`seeded`, SEED=none). Once
 * ready, its stores are read (ServerData). stop() sends SIGTERM (the app stops its
 * Postgres), checks that no Postgres of that directory is left, and removes a temp
 * directory; a persistent one is kept.
 */
export async function startGraphpulse(options: GraphpulseOptions): Promise<BenchServer> {
  const kept = options.seeded?.dir ?? null;
  const dataDir = kept ?? mkdtempSync(join(tmpdir(), 'graphpulse-bench-'));
  if (kept) {
    keptDirs.add(kept);
    reaper.watch('keptDir', postgresDirOf(kept));
  } else {
    dataDirs.add(dataDir);
    reaper.watch('dataDir', dataDir);
  }
  // Data seeded at start covers the seed's window up to the day it is seeded (UTC).
  const lastDay = options.seeded?.to ?? new Date().toISOString().slice(0, 10);
  const days = options.seeded ? rangeDayCount(options.seeded) : WINDOW_DAYS;
  const profileArgs: string[] = [];
  if (options.cpuProfDir) {
    mkdirSync(options.cpuProfDir, { recursive: true });
    profileArgs.push('--cpu-prof', `--cpu-prof-dir=${resolve(options.cpuProfDir)}`);
  }
  let server: ServerProcess;
  try {
    server = await startServerProcess({
      name: options.name,
      // The flags of `npm start`: a bounded heap (the L1 cache is bounded in bytes inside it) keeps RSS
      // well under 300 MB where V8 would otherwise let old space grow under bursty large requests.
      nodeArgs: [...profileArgs, '--max-semi-space-size=16', '--max-old-space-size=200', 'tools/run-compiled.mjs', 'src/main.ts'],
      env: {
        ...baseEnv(),
        PORT: '0',
        HOST: '127.0.0.1',
        DATA_DIR: dataDir,
        SEED: kept ? 'none' : 'demo',
        DEMO_SCALE: String(options.scale),
        ADMIN_API_KEY: BENCH_ADMIN_KEY,
        LOG_LEVEL: 'warn',
        WORKERS: 'none',
        NODE_ENV: 'production',
        // Throwaway data: skip fsync so seeding and ingestion are quick; reads are unaffected.
        EMBEDDED_PG_FAST: String(options.fastCommits),
        ...GRAPHPULSE_VARIANTS[options.name],
      },
      urlPattern: /GraphQL at (http:\/\/\S+\/graphql)/,
      startTimeoutMs: 180_000,
      stopTimeoutMs: 30_000,
    });
  } catch (error) {
    await releaseDataDir(dataDir, kept !== null);
    throw error;
  }
  let stopped: Promise<void> | null = null;
  const stop = () =>
    (stopped ??= (async () => {
      await server.stop();
      await releaseDataDir(dataDir, kept !== null);
    })());
  try {
    const storeIds = await readStoreIds(server.url);
    return { ...server, headers: HEADERS, data: { scale: options.scale, storeIds, lastDay, days }, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Every store id of the server's data (ascending), through the public API. */
async function readStoreIds(url: string): Promise<string[]> {
  const response = await fetch(url, {
    method: 'POST',
    headers: HEADERS,
    body: JSON.stringify({ query: '{ stores(first: 100) { totalCount edges { node { id } } } }' }),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  const body = JSON.parse(text) as { data?: { stores: { totalCount: number; edges: Array<{ node: { id: string } }> } } };
  const stores = body.data?.stores;
  if (!response.ok || !stores) throw new Error(`could not read the stores of ${url}: HTTP ${response.status} ${text.slice(0, 300)}`);
  if (!stores.edges.length || stores.totalCount !== stores.edges.length) {
    throw new Error(`expected 1..100 stores at ${url}, the server has ${stores.totalCount}`);
  }
  return stores.edges.map((e) => e.node.id).sort((a, b) => Number(a) - Number(b));
}

/** After its server stopped: a temp directory is removed, a kept one only checked for a Postgres left on it. */
function releaseDataDir(dataDir: string, kept: boolean): Promise<void> {
  return kept ? releaseKeptDir(dataDir) : removeDataDirOnce(dataDir);
}

/** Stops a Postgres still running on a persistent directory (none should: graphpulse stops its own); keeps the files. */
export async function releaseKeptDir(dir: string): Promise<void> {
  await stopPostgresOf(postgresDirOf(dir));
  keptDirs.delete(dir);
  reaper.forget('keptDir', postgresDirOf(dir));
}

/** Registers a persistent directory a child (the seed) is about to run a Postgres on. */
export function watchKeptDir(dir: string): void {
  keptDirs.add(dir);
  reaper.watch('keptDir', postgresDirOf(dir));
}

const removals = new Map<string, Promise<void>>();

/** removeDataDir once per directory (stop() and the SIGINT path may both ask). */
function removeDataDirOnce(dataDir: string): Promise<void> {
  let removal = removals.get(dataDir);
  if (!removal) {
    removal = removeDataDir(dataDir).then(() => {
      dataDirs.delete(dataDir);
      reaper.forget('dataDir', dataDir);
    });
    removals.set(dataDir, removal);
  }
  return removal;
}

/** Stops children still starting (not yet handed out) or running (the seed), removes temp data directories and checks kept ones. */
export async function stopStartingServers(): Promise<void> {
  await stopAllServerProcesses();
  for (const dir of [...dataDirs]) await removeDataDirOnce(dir);
  for (const dir of [...keptDirs]) await releaseKeptDir(dir);
}

/** For process 'exit' (after the process groups are killed): deletes data dirs not yet removed. */
export function removeDataDirsSync(): void {
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
  dataDirs.clear();
}
