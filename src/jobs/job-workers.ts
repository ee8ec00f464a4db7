import { hostname } from 'node:os';
import type { Job } from 'bullmq';
import type { Logger } from '../logger.js';
import type { AnyWorker, JobBackend } from './job-backend.js';
import type { JobContext, KindProcessor } from './job-context.js';
import { QUEUE_NAMES, isJobKind, type JobData, type JobKind, type QueueName } from './job-kinds.js';
import { cleanupEventsJob } from './processors/cleanup-events.job.js';
import { generateReportJob } from './processors/generate-report.job.js';
import { probeJob } from './processors/probe.job.js';
import { sendAlertWebhookJob } from './processors/send-alert-webhook.job.js';
import { refreshAggregatesJob } from './processors/refresh-aggregates.job.js';
import { warmCacheJob } from './processors/warm-cache.job.js';
import { closeBounded } from './close-bounded.js';

const PROCESSORS: { [K in JobKind]: KindProcessor<K> } = {
  generateReport: generateReportJob,
  refreshAggregates: refreshAggregatesJob,
  warmCache: warmCacheJob,
  cleanupEvents: cleanupEventsJob,
  probe: probeJob,
  sendAlertWebhook: sendAlertWebhookJob,
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
  /** Jobs this process is running now: close() waits for these, not for Redis. */
  private readonly running = new ActiveJobs();

  constructor(
    backend: JobBackend,
    context: JobContext,
    private readonly settings: WorkerSettings,
    private readonly logger: Logger,
  ) {
    this.workers = QUEUE_NAMES.map((name) => {
      const worker = backend.worker(name, this.running.track(dispatch(context)), {
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
   * Stops taking jobs at once, lets the jobs this process is running finish for up to
   * shutdownGraceMs, then closes each worker, bounded (closeBounded): an abandoned job's lock
   * lapses and another worker takes it up (stalled). Waiting on our own running jobs rather
   * than on BullMQ's close() keeps a Redis that is gone from holding the shutdown: that
   * close also waits for its blocking fetch and QUIT, which a dead Redis never answers (and
   * close(true) after close() only returns the first, unforced close).
   */
  async close(): Promise<void> {
    const closing = this.workers.map((worker) => worker.close());
    if (!(await this.running.idleWithin(this.settings.shutdownGraceMs))) {
      this.logger.warn(
        { graceMs: this.settings.shutdownGraceMs, running: this.running.count },
        'active jobs did not finish in time; closing workers anyway',
      );
    }
    await Promise.all(
      this.workers.map((worker, i) =>
        closeBounded({ close: () => closing[i], disconnect: () => worker.disconnect() }, `${worker.name} worker`, this.logger),
      ),
    );
  }
}

/** Counts the jobs in flight through the processors it wraps, and tells when none is left. */
class ActiveJobs {
  count = 0;
  private readonly waiters = new Set<() => void>();

  track<A extends unknown[], R>(processor: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
    return async (...args) => {
      this.count++;
      try {
        return await processor(...args);
      } finally {
        this.count--;
        if (this.count === 0) for (const wake of this.waiters) wake();
      }
    };
  }

  /** True once no job runs (at once if none does); false when `ms` passed first. */
  async idleWithin(ms: number): Promise<boolean> {
    if (this.count === 0) return true;
    let wake!: () => void;
    let timer: NodeJS.Timeout | undefined;
    const idle = new Promise<boolean>((resolve) => (wake = () => resolve(true)));
    this.waiters.add(wake);
    try {
      return await Promise.race([idle, new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)))]);
    } finally {
      clearTimeout(timer);
      this.waiters.delete(wake);
    }
  }
}
