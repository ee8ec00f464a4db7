import { createHash, randomUUID } from 'node:crypto';
import type { JobsOptions } from 'bullmq';
import type { Config } from '../config.js';
import { BadUserInputError } from '../errors.js';
import type { AnyEventsProducer, AnyJob, AnyQueue, JobBackend } from './job-backend.js';
import {
  KIND_POLICIES,
  PRIORITY,
  QUEUE_NAMES,
  isQueueName,
  type JobDataByKind,
  type JobKind,
  type KindPolicy,
  type QueueName,
} from './job-kinds.js';
import { viewOf, type JobView } from './job-view.js';
import { closeBounded } from './close-bounded.js';
import type { Logger } from '../logger.js';

export interface EnqueueOptions {
  /** An admin is waiting for it: runs before scheduled work of its queue. Default true. */
  requested?: boolean;
  /**
   * Default true: the job id is derived from kind and data, so asking again for the same
   * work while it is pending returns the pending job instead of queueing it twice.
   */
  dedupe?: boolean;
}

/** Our own QueueEvents event: a job was removed through the API. */
export const JOB_REMOVED_EVENT = 'graphpulse:job-removed';

const PENDING = new Set(['waiting', 'prioritized', 'delayed', 'active', 'waiting-children']);

/** JSON with sorted keys: equal data gives equal text, whatever order it was built in. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

export function deterministicJobId(kind: JobKind, data: unknown): string {
  return `${kind}-${createHash('sha256').update(canonical(data)).digest('hex').slice(0, 20)}`;
}

/** The producer side: one BullMQ Queue per queue name, job options per kind, and lookups by id. */
export class JobQueues {
  readonly queues: ReadonlyMap<QueueName, AnyQueue>;
  private readonly producers = new Map<string, AnyEventsProducer>();

  constructor(
    private readonly backend: JobBackend,
    private readonly policies: Readonly<Record<JobKind, KindPolicy>>,
    private readonly config: Config,
  ) {
    this.queues = new Map(QUEUE_NAMES.map((name) => [name, backend.queue(name)]));
  }

  queue(name: string): AnyQueue {
    const queue = isQueueName(name) ? this.queues.get(name) : undefined;
    if (!queue) throw new BadUserInputError(`Unknown queue "${name}"; queues are ${QUEUE_NAMES.join(', ')}`, { argument: 'queue' });
    return queue;
  }

  policyOf(kind: JobKind): KindPolicy {
    return this.policies[kind];
  }

  /** Options every job of `kind` gets: retries with exponential backoff and jitter, retention, priority. */
  jobOptions(kind: JobKind, requested: boolean): JobsOptions {
    const policy = this.policies[kind];
    const age = this.config.JOB_KEEP_HOURS * 3600;
    return {
      attempts: policy.attempts,
      backoff: { type: 'exponential', delay: policy.backoffMs, jitter: this.config.JOB_BACKOFF_JITTER },
      priority: requested ? PRIORITY.requested : PRIORITY.scheduled,
      removeOnComplete: { count: this.config.JOB_KEEP_COMPLETED, age },
      removeOnFail: { count: this.config.JOB_KEEP_FAILED, age },
    };
  }

  async enqueue<K extends JobKind>(kind: K, data: JobDataByKind[K], options: EnqueueOptions = {}): Promise<JobView> {
    const queue = this.queue(KIND_POLICIES[kind].queue);
    const jobId = options.dedupe === false ? `${kind}-${randomUUID()}` : deterministicJobId(kind, data);
    if (options.dedupe !== false) {
      const existing = (await queue.getJob(jobId)) as AnyJob | undefined;
      if (existing) {
        const state = await existing.getState();
        if (PENDING.has(state)) return viewOf(existing, state, await queue.isPaused());
        // The same work ran before and finished: its record makes way for the new run (its report, if any, stays).
        await existing.remove().catch(async (error: unknown) => {
          if (await queue.getJob(jobId)) throw error;
        });
      }
    }
    // Adding an id that exists (a concurrent request won the race) returns that job: still one job.
    const job = (await queue.add(kind, data, { ...this.jobOptions(kind, options.requested ?? true), jobId })) as AnyJob;
    return this.view(job);
  }

  async view(job: AnyJob): Promise<JobView> {
    const queue = this.queue(job.queueName);
    const [state, paused] = await Promise.all([job.getState(), queue.isPaused()]);
    return viewOf(job, state, paused);
  }

  /** The job with this id in any queue (ids carry their kind, so they do not collide across queues). */
  async find(id: string): Promise<AnyJob | null> {
    for (const queue of this.queues.values()) {
      const job = (await queue.getJob(id)) as AnyJob | undefined;
      if (job) return job;
    }
    return null;
  }

  /**
   * Tells every instance's subscribers that a job was removed (their streams end).
   * BullMQ's PostgreSQL backend emits no `removed` event for job.remove() (Redis does),
   * so we publish our own into the queue's event stream, the same on both.
   */
  async announceRemoved(queueName: string, jobId: string): Promise<void> {
    let producer = this.producers.get(queueName);
    if (!producer) this.producers.set(queueName, (producer = this.backend.eventsProducer(queueName)));
    await producer.publishEvent({ eventName: JOB_REMOVED_EVENT, jobId });
  }

  /** Bounded: a Redis that is gone (or came back) cannot hold the shutdown (see closeBounded). */
  async close(logger: Logger): Promise<void> {
    const parts = [
      ...[...this.queues].map(([name, queue]) => [`${name} queue`, queue] as const),
      ...[...this.producers].map(([name, producer]) => [`${name} events producer`, producer] as const),
    ];
    await Promise.all(parts.map(([what, part]) => closeBounded(part, what, logger)));
  }
}
