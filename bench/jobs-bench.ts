/**
 * `npx tsx bench/jobs-bench.ts [--jobs N] [--latency M] [--concurrency C]`: BullMQ jobs
 * through graphpulse on each backend (PostgreSQL on an embedded server, Redis when
 * redis-server or REDIS_URL is available). Measures
 *   - jobs/s: N no-op `probe` jobs added with addBulk, from the first add until the
 *     maintenance worker (concurrency C) has completed all of them;
 *   - completion → subscriber: M probe jobs, one every 10 ms, each COMPLETED event's
 *     arrival at a graphql-ws subscriber (jobEvents(queue)) minus the job's finishedOn.
 * The app runs in this process (WORKERS=inline); writes bench/results/jobs.json.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { startApp, type App } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { freePort, startEmbeddedPostgres } from '../src/db/embedded-postgres.js';
import { ensureDatabase } from '../src/db/postgres-server.js';
import { createLogger } from '../src/logger.js';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const JOBS = arg('jobs', 5_000);
const LATENCY_JOBS = arg('latency', 300);
const CONCURRENCY = arg('concurrency', 8);
const KEY = 'gp_bench_admin_key_0123456789abcdef';
const logger = createLogger('warn');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const cleanups: Array<() => Promise<void> | void> = [];

async function startRedis(): Promise<string | null> {
  if (process.env.REDIS_URL) return process.env.REDIS_URL;
  if (spawnSync('redis-server', ['--version']).status !== 0) return null;
  const port = await freePort();
  const child: ChildProcess = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
  cleanups.push(() => void child.kill('SIGTERM'));
  for (let i = 0; i < 50; i += 1) {
    if (
      spawnSync('redis-cli', ['-p', String(port), 'ping'])
        .stdout?.toString()
        .includes('PONG')
    )
      return `redis://127.0.0.1:${port}`;
    await sleep(100);
  }
  throw new Error('redis-server did not answer PING within 5 s');
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

async function throughput(app: App): Promise<number> {
  const jobs = app.services.jobs!;
  const queue = jobs.queues.queue('maintenance');
  const opts = jobs.queues.jobOptions('probe', true);
  const started = performance.now();
  for (let i = 0; i < JOBS; i += 500) {
    const batch = Array.from({ length: Math.min(500, JOBS - i) }, () => ({
      name: 'probe',
      data: {},
      opts: { ...opts, jobId: `probe-${randomUUID()}` },
    }));
    await queue.addBulk(batch);
  }
  for (let last = -1, since = Date.now(); ; await sleep(20)) {
    const counts = await queue.getJobCounts('completed', 'failed', 'waiting', 'prioritized', 'active');
    if (counts.completed >= JOBS) break;
    if (counts.completed !== last) [last, since] = [counts.completed, Date.now()];
    else if (Date.now() - since > 30_000) throw new Error(`no progress for 30 s: ${JSON.stringify(counts)}`);
  }
  return JOBS / ((performance.now() - started) / 1000);
}

async function completionToSubscriber(app: App): Promise<{ p50: number; p99: number; max: number }> {
  const client = createClient({
    url: app.url.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${KEY}` },
    retryAttempts: 0,
  });
  const latencies: number[] = [];
  await new Promise<void>((resolve, reject) => {
    client.subscribe(
      { query: 'subscription { jobEvents(queue: "maintenance") { type at } }' },
      {
        next: (result) => {
          const event = (result.data as { jobEvents: { type: string; at: string } }).jobEvents;
          if (event.type !== 'COMPLETED') return;
          latencies.push(Date.now() - Date.parse(event.at));
          if (latencies.length === LATENCY_JOBS) resolve();
        },
        error: reject,
        complete: () => resolve(),
      },
    );
    void (async () => {
      await sleep(500); // the subscription is open before the first job
      for (let i = 0; i < LATENCY_JOBS; i += 1) {
        await app.services.jobs!.queues.enqueue('probe', {}, { dedupe: false });
        await sleep(10);
      }
    })().catch(reject);
  });
  await client.dispose();
  latencies.sort((a, b) => a - b);
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: latencies.at(-1)! };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'graphpulse-jobs-bench-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  // Durable settings, as `npm start` runs the embedded server by default.
  const postgres = await startEmbeddedPostgres(dir, logger, false);
  cleanups.push(() => postgres.stop());
  const redisUrl = await startRedis();
  const results = [];
  for (const backend of redisUrl ? ['postgres', 'redis'] : ['postgres']) {
    const database = `bench_jobs_${backend}`;
    await ensureDatabase(postgres.adminUrl, database);
    const url = new URL(postgres.adminUrl);
    url.pathname = `/${database}`;
    const config = loadConfig({
      DATABASE_URL: url.toString(),
      PORT: '0',
      SEED: 'none',
      ADMIN_API_KEY: KEY,
      LOG_LEVEL: 'warn',
      NODE_ENV: 'production',
      WORKERS: 'inline',
      JOB_REFRESH_CRON: 'off',
      JOB_CLEANUP_CRON: 'off',
      JOB_CONCURRENCY: `maintenance=${CONCURRENCY}`,
      JOB_KEEP_COMPLETED: String(JOBS * 2 + LATENCY_JOBS),
      ...(backend === 'redis' ? { REDIS_URL: redisUrl!, REDIS_PREFIX: 'gpbench:' } : {}),
    });
    const app = await startApp(config, { logger });
    try {
      const jobsPerSecond = await throughput(app);
      const latency = await completionToSubscriber(app);
      results.push({
        backend,
        jobs: JOBS,
        concurrency: CONCURRENCY,
        jobsPerSecond: Math.round(jobsPerSecond),
        completionToEventMs: latency,
      });
      console.log(
        `${backend.padEnd(8)} ${Math.round(jobsPerSecond)} jobs/s (${JOBS} no-op jobs, concurrency ${CONCURRENCY});  completion → subscriber p50 ${latency.p50} ms, p99 ${latency.p99} ms, max ${latency.max} ms (${LATENCY_JOBS} jobs)`,
      );
    } finally {
      await app.stop();
    }
  }
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
  const machine = { cpus: cpus().length, model: cpus()[0]?.model, node: process.version };
  writeFileSync(
    new URL('./results/jobs.json', import.meta.url),
    JSON.stringify({ at: new Date().toISOString(), machine, results }, null, 2),
  );
}

async function cleanup(): Promise<void> {
  for (const step of cleanups.splice(0).reverse())
    await Promise.resolve(step()).catch((error: unknown) => console.error('cleanup:', error));
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.removeAllListeners(signal);
  process.on(signal, () => void cleanup().finally(() => process.exit(130)));
}
main().then(
  () => cleanup().then(() => process.exit(0)),
  (error: unknown) => {
    console.error(error);
    void cleanup().finally(() => process.exit(1));
  },
);
