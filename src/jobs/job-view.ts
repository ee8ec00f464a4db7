import type { AnyJob } from './job-backend.js';

/** What the API shows of a job (the GraphQL Job type reads these fields). */
export type JobStateName = 'WAITING' | 'DELAYED' | 'ACTIVE' | 'COMPLETED' | 'FAILED' | 'PAUSED';

export interface JobView {
  id: string;
  queue: string;
  kind: string;
  state: JobStateName;
  /** 0..1 */
  progress: number;
  /** Attempts started so far (the running one included). */
  attempts: number;
  maxAttempts: number;
  failedReason: string | null;
  result: unknown;
  data: unknown;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

/** BullMQ's state names, as getState() returns them. */
export type BullState = Awaited<ReturnType<AnyJob['getState']>>;

export function stateName(state: BullState, queuePaused: boolean): JobStateName {
  switch (state) {
    case 'active':
      return 'ACTIVE';
    case 'completed':
      return 'COMPLETED';
    case 'failed':
      return 'FAILED';
    case 'delayed':
      return 'DELAYED';
    default:
      // waiting, prioritized, waiting-children: they wait; on a paused queue nothing takes them.
      return queuePaused ? 'PAUSED' : 'WAITING';
  }
}

export function progressOf(job: AnyJob): number {
  return typeof job.progress === 'number' && Number.isFinite(job.progress) ? Math.min(1, Math.max(0, job.progress)) : 0;
}

const dateOrNull = (ms: number | undefined | null): Date | null => (ms ? new Date(ms) : null);

export function viewOf(job: AnyJob, state: BullState, queuePaused: boolean): JobView {
  return {
    id: String(job.id),
    queue: job.queueName,
    kind: job.name,
    state: stateName(state, queuePaused),
    progress: progressOf(job),
    attempts: job.attemptsStarted,
    maxAttempts: job.opts.attempts ?? 1,
    failedReason: job.failedReason || null,
    result: job.returnvalue ?? null,
    data: job.data,
    createdAt: new Date(job.timestamp),
    startedAt: dateOrNull(job.processedOn),
    finishedAt: dateOrNull(job.finishedOn),
  };
}
