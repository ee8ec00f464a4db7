import { readFileSync } from 'node:fs';
import pg from 'pg';
import { startEntry, type EntryProcess } from '../test/helpers/entry-process.js';
import { startRedisServer, type RedisServerProcess } from '../test/helpers/redis-server.js';
import { freePort } from '../src/db/embedded-postgres.js';
import { startDebianPostgres, type DebianPostgres } from './debian-postgres.js';
import type { Catalog } from './workload.js';

/**
 * The real parts a fault scenario runs: Debian's Postgres (one cluster per run, seeded
 * by the first API start), redis-servers and API and worker processes started exactly as
 * `npm start` and `npm run worker` start them. Everything started is stopped by
 * `close()`, also when a scenario fails half-way.
 */

export const FAULTS_ADMIN_KEY = 'gp_faults_admin_key_0123456789abcdef';

export interface ApiProcess {
  readonly entry: EntryProcess;
  readonly url: string;
  readonly port: number;
  /** ms from spawn to the "GraphQL at" line (migrations and seed included). */
  readonly startMs: number;
  /** Whether it exited without the harness stopping it (a crash). */
  exitedEarly(): boolean;
}

/** Env every API and worker process of the harness gets (a scenario adds its own). */
function baseEnv(databaseUrl: string): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl,
    SEED: 'demo',
    DEMO_SCALE: '0.02',
    HOST: '127.0.0.1',
    ADMIN_API_KEY: FAULTS_ADMIN_KEY,
    LOG_LEVEL: 'warn',
    NODE_ENV: 'production',
    JOB_REFRESH_CRON: 'off',
    JOB_CLEANUP_CRON: 'off',
  };
}

export class FaultStack {
  private readonly redisServers = new Set<RedisServerProcess>();
  private readonly processes = new Set<EntryProcess>();

  private constructor(
    readonly postgres: DebianPostgres,
    /** The harness's own connections, for the ledger and SQL checks. */
    readonly pool: pg.Pool,
    readonly catalog: Catalog,
  ) {}

  /** Starts Postgres, then one API process to migrate and seed it (stopped again). */
  static async open(log: (line: string) => void): Promise<FaultStack> {
    const postgres = await startDebianPostgres();
    const pool = new pg.Pool({ connectionString: postgres.url, max: 2, connectionTimeoutMillis: 3_000 });
    // Idle connections die when a scenario restarts Postgres: expected, and the pool reconnects.
    pool.on('error', (error) => log(`faults: harness pool connection lost (${(error as { code?: string }).code ?? error.message})`));
    const stack = new FaultStack(postgres, pool, { storeIds: [], productIds: [] });
    try {
      const seeding = await stack.startApi({}, { timeoutMs: 180_000 });
      log(`faults: Postgres 15 on port ${postgres.port}, migrated and seeded in ${(seeding.startMs / 1000).toFixed(1)} s`);
      await stack.stopProcess(seeding.entry);
      // Fresh statistics, so the first minutes' plans are the ones production would have.
      await pool.query('VACUUM ANALYZE');
      const stores = await pool.query<{ id: string }>('SELECT id::text FROM stores ORDER BY id');
      const products = await pool.query<{ id: string }>('SELECT id::text FROM products ORDER BY id');
      stack.catalog.storeIds.push(...stores.rows.map((r) => r.id));
      stack.catalog.productIds.push(...products.rows.map((r) => r.id));
      return stack;
    } catch (error) {
      await stack.close();
      throw error;
    }
  }

  async startRedis(): Promise<RedisServerProcess> {
    const redis = await startRedisServer();
    this.redisServers.add(redis);
    return redis;
  }

  /** `npm start` against the run's Postgres, on a free port, once it prints its URL. */
  async startApi(env: Record<string, string>, { timeoutMs = 60_000, port = 0 } = {}): Promise<ApiProcess> {
    port ||= await freePort();
    const startedAt = Date.now();
    const entry = startEntry('start', { ...baseEnv(this.postgres.url), ...env, PORT: String(port) });
    this.track(entry);
    const [, url] = await entry.waitForOutput(/GraphQL at (http:\/\/\S+)/, timeoutMs);
    let exited = false;
    void entry.exited.then(() => (exited = true));
    return { entry, url, port, startMs: Date.now() - startedAt, exitedEarly: () => exited };
  }

  /** `npm run worker` against the run's Postgres; resolves once its workers run. */
  async startWorker(env: Record<string, string>, timeoutMs = 60_000): Promise<EntryProcess> {
    // LOG_LEVEL info: the worker says it runs only at info.
    const entry = startEntry('worker', { ...baseEnv(this.postgres.url), SEED: 'none', LOG_LEVEL: 'info', ...env });
    this.track(entry);
    await entry.waitForOutput(/graphpulse worker is running/, timeoutMs);
    return entry;
  }

  /** Processes started outside startApi/startWorker (the embedded scenario's) are stopped with the rest. */
  track(entry: EntryProcess): void {
    this.processes.add(entry);
    void entry.exited.then(() => this.processes.delete(entry));
  }

  /** SIGTERM, then SIGKILL after 15 s. */
  async stopProcess(entry: EntryProcess): Promise<void> {
    entry.signal('SIGCONT');
    entry.signal('SIGTERM');
    const timer = setTimeout(() => entry.signal('SIGKILL'), 15_000);
    await entry.exited;
    clearTimeout(timer);
    this.processes.delete(entry);
  }

  /** Stops what one scenario started (processes, Redis servers); the Postgres cluster stays. */
  async resetScenario(): Promise<void> {
    await Promise.all([...this.processes].map((entry) => this.stopProcess(entry)));
    await Promise.all([...this.redisServers].map((redis) => redis.stop()));
    this.redisServers.clear();
    if (!this.postgres.running) await this.postgres.start();
  }

  async close(): Promise<void> {
    await this.resetScenario().catch((error: unknown) => console.error(`faults: stopping processes: ${String(error)}`));
    await this.pool.end().catch((error: unknown) => console.error(`faults: closing the harness pool: ${String(error)}`));
    await this.postgres.destroy();
  }
}

/** Resident set size of a process, bytes (Linux /proc), or null once it has gone. */
export function rssOf(pid: number): number | null {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null; // the process exited
  }
}

/** The process's log lines about one request (by the request id an error answer carries): why it failed. */
export function logLinesOfRequest(entry: EntryProcess, requestId: string, limit = 2): string[] {
  return `${entry.stdout()}\n${entry.stderr()}`
    .split('\n')
    .filter((line) => line.includes(requestId))
    .slice(0, limit)
    .map((line) => line.slice(0, 1200));
}
