import { isNewer, isTerminal, type Mark } from './job-event.js';
import type { QueueName } from './job-kinds.js';

/** A job subscribers wait on that has not finished. */
export interface Watch {
  queue: QueueName;
  jobId: string;
  /** The last event subscribers got for it. */
  mark: Mark;
  dueAt: number;
  /** The quiet period before the next read; doubles while nothing changes. */
  quietMs: number;
}

const FIRST_QUIET_MS = 1_000;
const MAX_QUIET_MS = 30_000;

/**
 * The unfinished jobs subscribers wait on, and when each is due to be read again
 * because no event came for it (JobEventHub.reconcile). Finished jobs are dropped.
 */
export class QuietJobs {
  private readonly watches = new Map<string, Watch>();

  /** Notes what subscribers got for a job (ignored when older than what is noted). */
  note(queue: QueueName, jobId: string, mark: Mark): void {
    const key = `${queue}|${jobId}`;
    const current = this.watches.get(key);
    if (current && !isNewer(mark, current.mark)) return;
    if (isTerminal(mark.type)) this.watches.delete(key);
    else this.watches.set(key, { queue, jobId, mark, dueAt: Date.now() + FIRST_QUIET_MS, quietMs: FIRST_QUIET_MS });
  }

  /** The current note for a job, if it is watched. */
  get(queue: QueueName, jobId: string): Watch | undefined {
    return this.watches.get(`${queue}|${jobId}`);
  }

  forget(queue: string, jobId: string): void {
    this.watches.delete(`${queue}|${jobId}`);
  }

  /** The watches due now (each is pushed back by its next, longer quiet period); `keep` false drops one. */
  due(keep: (watch: Watch) => boolean, now = Date.now()): Watch[] {
    const due: Watch[] = [];
    for (const [key, watch] of this.watches) {
      if (watch.dueAt > now) continue;
      if (!keep(watch)) {
        this.watches.delete(key);
        continue;
      }
      watch.quietMs = Math.min(watch.quietMs * 2, MAX_QUIET_MS);
      watch.dueAt = now + watch.quietMs;
      due.push(watch);
    }
    return due;
  }
}
