import { LRUCache } from 'lru-cache';
import type { Logger } from '../logger.js';

/** Finished jobs of one queue: completed, and failed for good (no attempt left). */
export interface JobOutcomeCounts {
  completed: number;
  failed: number;
}

export type JobOutcome = keyof JobOutcomeCounts;

interface FinishedJob {
  id?: string;
  finishedOn?: number;
}

/** What JobOutcomes reads: a BullMQ Queue and its QueueEvents (either backend). */
export interface OutcomeSource {
  queue: {
    getJob(id: string): Promise<FinishedJob | undefined>;
    getJobs(types: JobOutcome[], start: number, end: number, asc: boolean): Promise<Array<FinishedJob | undefined>>;
  };
  events: {
    on(event: JobOutcome, listener: (args: { jobId: string }) => void): unknown;
    off(event: JobOutcome, listener: (args: { jobId: string }) => void): unknown;
  };
}

/** How often the newest finished jobs are read back, to count those whose event was lost. */
const RECONCILE_EVERY_MS = 2_000;
/** Newest finished jobs read per state and round: far more than finish between two rounds. */
const RECONCILE_PAGE = 100;
/** Outcomes remembered to count each once (events and reconcile both see most of them). */
const REMEMBERED = 10_000;

const add = (counts: Map<string, JobOutcomeCounts>, queue: string, outcome: JobOutcome) => {
  let row = counts.get(queue);
  if (!row) counts.set(queue, (row = { completed: 0, failed: 0 }));
  row[outcome] += 1;
};

/**
 * Jobs finished per queue, as this process's QueueEvents report them. On both backends
 * BullMQ reports `failed` only when a job fails for good: an attempt that will be retried
 * is reported as `delayed`/`waiting`, so it is not a failure here. A job retried by hand
 * after failing counts again when it ends again.
 *
 * Each outcome counts once, keyed by job id and finish time: QueueEvents can lose events
 * (stream trimming; on the PostgreSQL backend an event committed late behind a higher
 * sequence id is skipped), so every RECONCILE_EVERY_MS the newest finished jobs of each
 * queue are read back and those not counted yet are counted. Only jobs finished since
 * this process followed the queue count.
 *
 * QueueEvents sees every job of the queue, wherever its worker runs: these are queue-wide
 * numbers, and every API instance counts the same jobs (take one instance's value, or the
 * max, never a sum across instances).
 *
 * Two views: `totals()` since the process started (/metrics counters and history deltas,
 * never reset) and `inWindow()` since the metrics window began (resetMetrics).
 */
export class JobOutcomes {
  private readonly cumulative = new Map<string, JobOutcomeCounts>();
  private window = new Map<string, JobOutcomeCounts>();
  private readonly counted = new LRUCache<string, true>({ max: REMEMBERED });
  /** What stop() undoes for each followed queue: its reconcile timer and its event listeners. */
  private readonly followers: Array<() => void> = [];

  constructor(private readonly reconcileEveryMs = RECONCILE_EVERY_MS) {}

  /** Counts the outcomes of `queue` from now on, until stop(). */
  follow(queue: string, source: OutcomeSource, logger: Logger): void {
    // The series exist at 0 from the start: Prometheus's increase() cannot see a counter's first sample as a rise.
    if (!this.cumulative.has(queue)) this.cumulative.set(queue, { completed: 0, failed: 0 });
    const since = Date.now();
    const onEvent =
      (outcome: JobOutcome) =>
      ({ jobId }: { jobId: string }) => {
        source.queue.getJob(jobId).then(
          (job) => {
            // Gone already (retention) or running again (retried by hand): no key to match, and no record for reconcile either.
            if (job?.finishedOn === undefined) this.record(queue, outcome);
            else this.once(queue, outcome, jobId, job.finishedOn);
          },
          (error: unknown) => {
            // Reconcile finds it once the job can be read again.
            logger.warn({ err: error, queue, jobId }, 'reading a finished job failed; its outcome is counted by the next reconcile');
          },
        );
      };
    const onCompleted = onEvent('completed');
    const onFailed = onEvent('failed');
    source.events.on('completed', onCompleted);
    source.events.on('failed', onFailed);

    let failing = false;
    // A round that outlasts the period (a slow backend) is not joined by another: the next tick is skipped instead.
    let inFlight = false;
    const reconcile = async () => {
      for (const outcome of ['completed', 'failed'] as const) {
        for (const job of await source.queue.getJobs([outcome], 0, RECONCILE_PAGE - 1, false)) {
          if (job?.id !== undefined && job.finishedOn !== undefined && job.finishedOn >= since) {
            this.once(queue, outcome, job.id, job.finishedOn);
          }
        }
      }
    };
    const timer = setInterval(() => {
      if (inFlight) return;
      inFlight = true;
      reconcile()
        .then(
          () => (failing = false),
          (error: unknown) => {
            // Once per streak: a backend that is down would otherwise log every round.
            if (!failing) logger.warn({ err: error, queue }, 'reading finished jobs to reconcile job outcomes failed; retrying');
            failing = true;
          },
        )
        .finally(() => (inFlight = false));
    }, this.reconcileEveryMs);
    timer.unref();
    this.followers.push(() => {
      clearInterval(timer);
      source.events.off('completed', onCompleted);
      source.events.off('failed', onFailed);
    });
  }

  /** Stops reconciling and listening to the queues' events (the queues close after this). */
  stop(): void {
    for (const unfollow of this.followers.splice(0)) unfollow();
  }

  private once(queue: string, outcome: JobOutcome, jobId: string, finishedOn: number): void {
    const key = `${queue}|${jobId}|${finishedOn}`;
    if (this.counted.has(key)) return;
    this.counted.set(key, true);
    this.record(queue, outcome);
  }

  record(queue: string, outcome: JobOutcome): void {
    add(this.cumulative, queue, outcome);
    add(this.window, queue, outcome);
  }

  /** Per queue since start; a copy, so callers may keep it and diff it with a later one. */
  totals(): Map<string, JobOutcomeCounts> {
    return new Map([...this.cumulative].map(([queue, counts]) => [queue, { ...counts }]));
  }

  /** Of one queue since the metrics window began; zeros for a queue with none. */
  inWindow(queue: string): JobOutcomeCounts {
    const counts = this.window.get(queue);
    return counts ? { ...counts } : { completed: 0, failed: 0 };
  }

  /** Starts a new window (resetMetrics); totals() are kept. */
  resetWindow(): void {
    this.window = new Map();
  }
}
