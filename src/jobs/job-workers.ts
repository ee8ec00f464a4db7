import { hostname } from 'node:os';
import type { Job } from 'bullmq';
import type { Logger } from '../logger.js';
import type { AnyWorker, JobBackend } from './job-backend.js';
import type { JobContext, KindProcessor } from './job-context.js';
import { QUEUE_NAMES, isJobKind, type JobData, type JobKind, type QueueName } from './job-kinds.js';
import { cleanupEventsJob } from './processors/cleanup-events.job.js';
import { generateReportJob } from './processors/generate-report.job.js';
import { probeJob } from './processors/probe.job.js';
import { refreshAggregatesJob } from './processors/refresh-aggregates.job.js';
import { warmCacheJob } from './processors/warm-cache.job.js';

const PROCESSORS: { [K in JobKind]: KindProcessor<K> } = {
  generateReport: generateReportJob,
  refreshAggregates: refreshAggregatesJob,
  warmCache: warmCacheJob,
  cleanupEvents: cleanupEventsJob,
  probe: probeJob,
};

export interface WorkerSettings {
  concurrency: Record<QueueName, number>;
  lockDurationMs: number;
  stalledIntervalMs: number;
  /** How long close() lets active jobs finish before it stops waiting (they then stall and rerun elsewhere). */
  shutdownGraceMs: number;
}

/** Runs each job with the processor of its kind (the job name). */
function dispatch(context: JobContext) {
  return async (job: Job<JobData, unknown, string>): Promise<unknown> => {
    if (!isJobKind(job.name)) throw new Error(`No processor for job kind "${job.name}" (job ${job.id})`);
    // A retry starts from nothing: progress left by an earlier attempt would mislead subscribers.
    if (job.attemptsStarted > 1 && job.progress !== 0) await job.updateProgress(0);
    const processor = PROCESSORS[job.name] as KindProcessor<JobKind>;
    return processor(job as Job<never, unknown, JobKind>, context);
  };
}

/** One BullMQ Worker per queue, in this process: `WORKERS=inline` or `npm run worker`. */
export class JobWorkers {
  private readonly workers: AnyWorker[];

  constructor(
    backend: JobBackend,
    context: JobContext,
    private readonly settings: WorkerSettings,
    private readonly logger: Logger,
  ) {
    this.workers = QUEUE_NAMES.map((name) => {
      const worker = backend.worker(name, dispatch(context), {
        // Stored on each job it takes (processedBy): which host and process ran it.
        name: `${hostname()}:${process.pid}`,
        concurrency: settings.concurrency[name],
        lockDuration: settings.lockDurationMs,
        stalledInterval: settings.stalledIntervalMs,
        maxStalledCount: 1,
      });
      worker.on('failed', (job, error) => {
        const final = job ? job.attemptsMade >= (job.opts.attempts ?? 1) : true;
        logger[final ? 'error' : 'warn'](
          { err: error, jobId: job?.id, kind: job?.name, attempt: job?.attemptsStarted, queue: name },
          final ? 'job failed' : 'job attempt failed; retrying',
        );
      });
      worker.on('stalled', (jobId) =>
        logger.warn({ jobId, queue: name }, 'job stalled (its worker stopped renewing the lock); taken up again'),
      );
      worker.on('error', (error) => logger.error({ err: error, queue: name }, 'job worker error'));
      return worker;
    });
  }

  async waitUntilReady(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.waitUntilReady()));
  }

  /**
   * Stops taking jobs at once, lets active jobs finish for up to shutdownGraceMs, then
   * closes anyway; an abandoned job's lock lapses and another worker takes it up (stalled).
   */
  async close(): Promise<void> {
    const graceful = Promise.all(this.workers.map((worker) => worker.close()));
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), this.settings.shutdownGraceMs);
    });
    const late = await Promise.race([graceful.then(() => false), timedOut]);
    clearTimeout(timer);
    if (late) {
      this.logger.warn({ graceMs: this.settings.shutdownGraceMs }, 'active jobs did not finish in time; closing workers anyway');
      await Promise.all(this.workers.map((worker) => worker.close(true)));
    }
  }
}
