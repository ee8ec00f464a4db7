import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { removeDataDir } from './data-dir.js';
import { reaper } from './reaper-client.js';
import { startServerProcess, stopAllServerProcesses, type ServerProcess } from './server-process.js';

/** The admin key of the bench database: ADMIN is not rate limited, so load is not throttled. */
export const BENCH_ADMIN_KEY = 'gp_bench_admin_key_0123456789abcdef';

/** Temp DATA_DIRs not yet removed. */
const dataDirs = new Set<string>();

/**
 * The server children a run may need: the bare-Apollo baseline, graphpulse as shipped,
 * graphpulse without the hot path (per-field cache only), and without instrumentation.
 */
export type ServerName = 'baseline' | 'graphpulse' | 'graphpulse-fields' | 'graphpulse-metrics-off';

/** Environment that makes each graphpulse variant differ from the default one. */
export const GRAPHPULSE_VARIANTS: Record<Exclude<ServerName, 'baseline'>, Record<string, string>> = {
  graphpulse: {},
  'graphpulse-fields': { HOT_PATH: 'false' },
  'graphpulse-metrics-off': { METRICS_ENABLED: 'false' },
};

export interface BenchServer extends ServerProcess {
  /** Headers every request to this server carries. */
  headers: Record<string, string>;
}

/** Only what a Node child needs from our environment: never the caller's DATABASE_URL, REDIS_URL, PORT… */
function baseEnv(): Record<string, string> {
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
  return { ...server, headers: { 'content-type': 'application/json', authorization: `Bearer ${BENCH_ADMIN_KEY}` } };
}

export interface GraphpulseOptions {
  name: Exclude<ServerName, 'baseline'>;
  scale: number;
  cpuProfDir: string | null;
}

/**
 * graphpulse as `node --import tsx src/main.ts` on a fresh embedded database in a temp
 * DATA_DIR (seeded at start). stop() sends SIGTERM (the app stops its Postgres), checks
 * that no Postgres of that directory is left, and removes the directory.
 */
export async function startGraphpulse(options: GraphpulseOptions): Promise<BenchServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'graphpulse-bench-'));
  dataDirs.add(dataDir);
  reaper.watch('dataDir', dataDir);
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
      nodeArgs: [...profileArgs, '--max-semi-space-size=8', '--max-old-space-size=200', '--import', 'tsx', 'src/main.ts'],
      env: {
        ...baseEnv(),
        PORT: '0',
        HOST: '127.0.0.1',
        DATA_DIR: dataDir,
        SEED: 'demo',
        DEMO_SCALE: String(options.scale),
        ADMIN_API_KEY: BENCH_ADMIN_KEY,
        LOG_LEVEL: 'warn',
        WORKERS: 'none',
        NODE_ENV: 'production',
        // Throwaway data: skip fsync so seeding is quick; reads are unaffected.
        EMBEDDED_PG_FAST: 'true',
        ...GRAPHPULSE_VARIANTS[options.name],
      },
      urlPattern: /GraphQL at (http:\/\/\S+\/graphql)/,
      startTimeoutMs: 180_000,
      stopTimeoutMs: 30_000,
    });
  } catch (error) {
    await removeDataDirOnce(dataDir);
    throw error;
  }
  let stopped: Promise<void> | null = null;
  return {
    ...server,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${BENCH_ADMIN_KEY}` },
    stop: () =>
      (stopped ??= (async () => {
        await server.stop();
        await removeDataDirOnce(dataDir);
      })()),
  };
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

/** Stops children still starting (not yet handed out) and removes their data directories. */
export async function stopStartingServers(): Promise<void> {
  await stopAllServerProcesses();
  for (const dir of [...dataDirs]) await removeDataDirOnce(dir);
}

/** For process 'exit' (after the process groups are killed): deletes data dirs not yet removed. */
export function removeDataDirsSync(): void {
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
  dataDirs.clear();
}
