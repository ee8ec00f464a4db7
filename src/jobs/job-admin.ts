import type { JobType } from 'bullmq';
import { BadUserInputError, NotFoundError } from '../errors.js';
import type { QueueCounts, QueueCountsSource } from '../metrics/queue-counts.js';
import type { AnyJob } from './job-backend.js';
import { QUEUE_NAMES, type QueueName } from './job-kinds.js';
import type { JobQueues } from './job-queues.js';
import { viewOf, type BullState, type JobStateName, type JobView } from './job-view.js';

/** BullMQ's lists behind each API state (PAUSED: the waiting lists of a paused queue). */
const TYPES: Record<JobStateName, JobType[]> = {
  WAITING: ['waiting', 'prioritized', 'waiting-children'],
  PAUSED: ['waiting', 'prioritized', 'waiting-children'],
  DELAYED: ['delayed'],
  ACTIVE: ['active'],
  COMPLETED: ['completed'],
  FAILED: ['failed'],
};
const ALL_TYPES: JobType[] = ['active', 'waiting', 'prioritized', 'waiting-children', 'delayed', 'failed', 'completed'];

/** What admins do with jobs and queues (API: job, jobs, retryJob, removeJob, retryFailedJobs, pause/resumeQueue). */
export class JobAdmin implements QueueCountsSource {
  constructor(private readonly queues: JobQueues) {}

  async job(id: string): Promise<JobView | null> {
    const job = await this.queues.find(id);
    return job ? this.queues.view(job) : null;
  }

  private async mustFind(id: string): Promise<AnyJob> {
    const job = await this.queues.find(id);
    if (!job) throw new NotFoundError('Job', id);
    return job;
  }

  /** Newest first, `first` at most, one read per BullMQ list (the list says the state, no read per job). */
  async list(queueName: string | null, state: JobStateName | null, first: number): Promise<JobView[]> {
    const names = queueName === null ? [...QUEUE_NAMES] : [this.queues.queue(queueName).name as QueueName];
    const views: JobView[] = [];
    for (const name of names) {
      const queue = this.queues.queue(name);
      const paused = await queue.isPaused();
      if ((state === 'PAUSED' && !paused) || (state === 'WAITING' && paused)) continue;
      for (const type of state ? TYPES[state] : ALL_TYPES) {
        const jobs = (await queue.getJobs([type], 0, first - 1, false)) as AnyJob[];
        const bullState = (type === 'prioritized' || type === 'waiting-children' ? 'waiting' : type) as BullState;
        views.push(...jobs.filter(Boolean).map((job) => viewOf(job, bullState, paused)));
      }
    }
    return views.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime()).slice(0, first);
  }

  /** A failed job back to waiting; its attempt counter carries on (events stay in order). */
  async retry(id: string): Promise<JobView> {
    const job = await this.mustFind(id);
    const state = await job.getState();
    if (state !== 'failed') throw new BadUserInputError(`Job ${id} is ${state}; only failed jobs can be retried`, { argument: 'id' });
    await job.retry('failed');
    return this.queues.view(job);
  }

  async remove(id: string): Promise<boolean> {
    const job = await this.mustFind(id);
    if ((await job.getState()) === 'active') {
      throw new BadUserInputError(`Job ${id} is running and cannot be removed now; retry when it has finished`, { argument: 'id' });
    }
    await job.remove();
    await this.queues.announceRemoved(job.queueName, String(job.id));
    return true;
  }

  /**
   * Every failed job of the queue (or of all queues) back to waiting; returns how many.
   * One job.retry() each rather than queue.retryJobs(): the latter resets attempt
   * counters on the PostgreSQL backend but not on Redis, and attempts must only grow
   * (job events are ordered by them) the same way on both.
   */
  async retryFailed(queueName: string | null): Promise<number> {
    const names = queueName === null ? [...QUEUE_NAMES] : [this.queues.queue(queueName).name as QueueName];
    let moved = 0;
    for (const name of names) {
      const queue = this.queues.queue(name);
      // The failed jobs as of now (a retried job that fails again is not retried twice by one call).
      const failed: AnyJob[] = [];
      for (let start = 0; ; start += 500) {
        const page = ((await queue.getJobs(['failed'], start, start + 499, true)) as AnyJob[]).filter(Boolean);
        failed.push(...page);
        if (page.length < 500) break;
      }
      for (const job of failed) {
        // A job another admin retried meanwhile is no longer failed: skip it, count the rest.
        await job.retry('failed').then(
          () => (moved += 1),
          async (error: unknown) => {
            if ((await job.getState()) === 'failed') throw error;
          },
        );
      }
    }
    return moved;
  }

  /** Pausing stops every worker everywhere from taking jobs of the queue; running jobs finish. */
  async setPaused(queueName: string, paused: boolean): Promise<boolean> {
    const queue = this.queues.queue(queueName);
    if (paused) await queue.pause();
    else await queue.resume();
    return true;
  }

  async counts(): Promise<QueueCounts[]> {
    return Promise.all(
      QUEUE_NAMES.map(async (name) => {
        const queue = this.queues.queue(name);
        const [counts, paused] = await Promise.all([
          queue.getJobCounts('waiting', 'prioritized', 'active', 'completed', 'failed', 'delayed'),
          queue.isPaused(),
        ]);
        const waiting = (counts.waiting ?? 0) + (counts.prioritized ?? 0);
        // On a paused queue the waiting jobs are the paused ones (BullMQ's own counting).
        return {
          name,
          waiting: paused ? 0 : waiting,
          active: counts.active ?? 0,
          completed: counts.completed ?? 0,
          failed: counts.failed ?? 0,
          delayed: counts.delayed ?? 0,
          paused: paused ? waiting : 0,
        };
      }),
    );
  }
}
