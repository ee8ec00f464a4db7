import type { EntryProcess } from '../../test/helpers/entry-process.js';
import { jobState, msUntil } from '../probes.js';
import { harnessQueues } from '../scenario-kit.js';
import { Verdict, sleep, type Scenario } from '../scenario.js';
import { lastDays } from '../workload.js';

/** Between steps of the report job: three pauses, so a kill lands mid-job. */
const PAUSE_MS = 1_500;
const WORKER_ENV = {
  WORKERS: 'inline',
  JOB_STALLED_INTERVAL_MS: '1000',
  JOB_LOCK_DURATION_MS: '2000',
  JOB_REFRESH_CRON: 'off',
  JOB_CLEANUP_CRON: 'off',
};

/**
 * `npm run worker` SIGKILLed mid-job, again and again (a new worker each time): every job
 * must complete, and exactly once in effect: its report is one row, however many times
 * it ran. The jobs are queued from here through the project's own queue code, because
 * only its payload can slow a report down (pauseMs), which the public API does not offer.
 */
export const workerSigkill: Scenario = {
  name: 'worker-sigkill',
  goal: 'a worker SIGKILLed mid-job, 5 times in a row: each job completes, exactly one report row each',
  inShort: true,
  async run(stack, { short, log }) {
    const verdict = new Verdict(short);
    const rounds = short ? 2 : 5;
    const redis = await stack.startRedis();
    const api = await stack.startApi({ REDIS_URL: redis.url, WORKERS: 'none' });
    const { queues, close: closeQueues } = await harnessQueues(stack, redis.url, log);
    const completedMs: number[] = [];
    const reportRows: number[] = [];
    let worker: EntryProcess = await stack.startWorker({ REDIS_URL: redis.url, ...WORKER_ENV });
    try {
      for (let round = 1; round <= rounds; round += 1) {
        const job = await queues.enqueue(
          'generateReport',
          { kind: 'DAILY_SALES', range: lastDays(14), storeIds: [1, 2], pauseMs: PAUSE_MS },
          { dedupe: false },
        );
        const activeMs = await msUntil(async () => (await jobState(api.url, job.id)) === 'ACTIVE', Date.now(), 30_000, 50);
        if (activeMs === null) throw new Error(`round ${round}: job ${job.id} never became active`);
        await sleep(PAUSE_MS * (0.5 + Math.random())); // somewhere in its first or second step
        const killedAt = Date.now();
        worker.signal('SIGKILL');
        await worker.exited;
        worker = await stack.startWorker({ REDIS_URL: redis.url, ...WORKER_ENV });
        const doneMs = await msUntil(async () => (await jobState(api.url, job.id)) === 'COMPLETED', killedAt, 60_000, 100);
        const rows = await stack.pool.query<{ n: string }>('SELECT count(*) AS n FROM reports WHERE id LIKE $1', [`${job.id}-%`]);
        const state = await jobState(api.url, job.id);
        log(
          `round ${round}: job ${job.id} killed mid-job, ${state} ${doneMs ?? 'never'} ms after the kill, ${rows.rows[0].n} report row(s)`,
        );
        verdict.require(doneMs !== null, `round ${round}: job ${job.id} is ${state} 60 s after the kill`);
        completedMs.push(doneMs ?? Infinity);
        reportRows.push(Number(rows.rows[0].n));
      }
    } finally {
      await closeQueues();
    }
    verdict.require(
      reportRows.every((n) => n === 1),
      `report rows per job: ${reportRows.join(', ')} (expected 1 each)`,
    );
    return {
      load: null,
      ledger: null,
      recoverMs: Math.max(...completedMs),
      figures: { rounds, completedAfterKillMs: completedMs.map((ms) => Math.round(ms)).join('/'), reportRowsPerJob: reportRows.join('/') },
      verdict,
    };
  },
};
