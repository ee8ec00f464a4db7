import type { AnyJob } from './job-backend.js';
import { progressOf, type BullState } from './job-view.js';

export type JobEventTypeName = 'WAITING' | 'ACTIVE' | 'PROGRESS' | 'COMPLETED' | 'FAILED' | 'RETRYING' | 'STALLED';

/** One step of a job's life as subscribers see it (the GraphQL JobEvent type reads these fields). */
export interface JobEventView {
  jobId: string;
  queue: string;
  kind: string;
  type: JobEventTypeName;
  progress: number | null;
  failedReason: string | null;
  /** The attempt the event belongs to, from 1 (WAITING: the attempt it waits for). */
  attempt: number;
  at: Date;
  /** RETRYING: the backoff before the next attempt. */
  delayMs: number | null;
  /** COMPLETED: what the job returned. */
  result: unknown;
}

/**
 * Where an event sits in a job's life: (attempt, phase, progress), compared in that
 * order. Every attempt goes WAITING → ACTIVE → PROGRESS… → an end (completed, failed,
 * retrying), and attempts only grow (we never reset attempt counters). A stall re-queues
 * the job: its STALLED sits with the WAITING of the next attempt (BullMQ reports the two
 * together, in an order that differs by backend).
 */
export type EventKey = readonly [attempt: number, phase: number, progress: number];

const PHASE: Record<JobEventTypeName, number> = { WAITING: 0, ACTIVE: 1, PROGRESS: 2, COMPLETED: 3, FAILED: 3, RETRYING: 3, STALLED: 0 };

/** An event's key and the type that breaks ties at that key (a snapshot with progress counts as PROGRESS). */
export interface Mark {
  key: EventKey;
  type: JobEventTypeName;
}

export function markOf(event: JobEventView, progressKnown = event.type === 'PROGRESS'): Mark {
  const attempt = event.type === 'STALLED' ? event.attempt + 1 : event.attempt;
  const phase = event.type === 'ACTIVE' && progressKnown && (event.progress ?? 0) > 0 ? PHASE.PROGRESS : PHASE[event.type];
  const key: EventKey = [attempt, phase, phase === PHASE.PROGRESS ? (event.progress ?? 0) : 0];
  return { key, type: phase === PHASE.PROGRESS ? 'PROGRESS' : event.type };
}

function isAfter(a: EventKey, b: EventKey): boolean {
  for (let i = 0; i < 3; i += 1) if (a[i] !== b[i]) return a[i] > b[i];
  return false;
}

/** Whether `next` is news after `last`: later, or another event at the same point (WAITING and STALLED of one re-queue). */
export function isNewer(next: Mark, last: Mark): boolean {
  return isAfter(next.key, last.key) || (!isAfter(last.key, next.key) && next.type !== last.type);
}

export const isTerminal = (type: JobEventTypeName) => type === 'COMPLETED' || type === 'FAILED';

const WAITING_STATES = new Set<BullState>(['waiting', 'prioritized', 'waiting-children', 'delayed']);

function base(job: AnyJob, type: JobEventTypeName, attempt: number, at: number): JobEventView {
  return {
    jobId: String(job.id),
    queue: job.queueName,
    kind: job.name,
    type,
    progress: null,
    failedReason: null,
    attempt: Math.max(1, attempt),
    at: new Date(at),
    delayMs: null,
    result: null,
  };
}

/**
 * The job's current state as the first event a subscriber gets (its mark says what it
 * already covers). `job` must have been read in `state` (see readSettled): the attempt
 * comes from the counters of that state.
 */
export function snapshotEvent(job: AnyJob, state: BullState): { event: JobEventView; mark: Mark } {
  // The same counters as eventFrom, so a snapshot and the events it covers compare equal.
  const started = job.attemptsStarted;
  const finished = job.attemptsMade + job.stalledCounter;
  let event: JobEventView;
  if (state === 'active') {
    event = { ...base(job, 'ACTIVE', started, job.processedOn ?? Date.now()), progress: progressOf(job) };
    return { event, mark: markOf(event, true) };
  }
  if (state === 'completed')
    event = {
      ...base(job, 'COMPLETED', finished, job.finishedOn ?? Date.now()),
      progress: progressOf(job),
      result: job.returnvalue ?? null,
    };
  else if (state === 'failed')
    event = { ...base(job, 'FAILED', finished, job.finishedOn ?? Date.now()), failedReason: job.failedReason || null };
  else if (state === 'delayed' && started > 0)
    event = { ...base(job, 'RETRYING', finished, Date.now()), failedReason: job.failedReason || null, delayMs: job.delay || null };
  else event = base(job, 'WAITING', finished + 1, started === 0 ? job.timestamp : Date.now());
  return { event, mark: markOf(event) };
}

/** BullMQ QueueEvents names we turn into job events. */
export const BULL_EVENTS = ['waiting', 'delayed', 'active', 'progress', 'completed', 'failed', 'stalled'] as const;
export type BullEventName = (typeof BULL_EVENTS)[number];
export type BullEventArgs = { jobId: string; prev?: string; data?: unknown; failedReason?: string; returnvalue?: unknown; delay?: number };

/**
 * A QueueEvents event with the job and its state as read just after it, the two as of
 * one moment (the fields read while the job was in that state: see readSettled in
 * job-event-hub.ts; fields of an earlier step under a later state would number the
 * attempt one too low). The read may still be a step ahead of the event: the job moved
 * on before QueueEvents delivered. Attempts are therefore taken from counters the next
 * step cannot have changed yet, chosen by the state the job is in now: `finished`
 * (attempts completed, failed or stalled so far) only grows when an attempt ends,
 * `attemptsStarted` only when one starts.
 */
export function eventFrom(name: BullEventName, args: BullEventArgs, job: AnyJob, state: BullState): JobEventView {
  const started = job.attemptsStarted;
  const finished = job.attemptsMade + job.stalledCounter;
  const running = state === 'active';
  const now = Date.now();
  switch (name) {
    case 'waiting':
      return base(job, 'WAITING', WAITING_STATES.has(state) ? finished + 1 : running ? started : finished, now);
    case 'delayed':
      if (started === 0) return base(job, 'WAITING', 1, now);
      return {
        ...base(job, 'RETRYING', finished, now),
        failedReason: job.failedReason || null,
        delayMs: job.delay || (args.delay ? Math.max(0, args.delay - now) : null),
      };
    case 'active':
      return base(job, 'ACTIVE', running ? started : finished, job.processedOn ?? now);
    case 'progress':
      return {
        ...base(job, 'PROGRESS', running ? started : finished, now),
        progress: typeof args.data === 'number' ? args.data : progressOf(job),
      };
    case 'completed':
      return {
        ...base(job, 'COMPLETED', finished, job.finishedOn ?? now),
        progress: progressOf(job),
        result: args.returnvalue ?? job.returnvalue ?? null,
      };
    case 'failed':
      return { ...base(job, 'FAILED', finished, job.finishedOn ?? now), failedReason: args.failedReason ?? job.failedReason ?? null };
    case 'stalled':
      return base(job, 'STALLED', finished, now);
  }
}

/**
 * An event whose type and attempt its sequence gives (see sequenced), with details from
 * the job's record read after it. The record is read alone (no state to pair it with)
 * and may be steps ahead of the event: what belongs to one attempt is taken from it only
 * when its counters say it is still that attempt's, else from the event itself. A retry's
 * backoff in particular is in the record only until the job is promoted (BullMQ then
 * clears it); after that the event's due time, from when it arrived, is the figure.
 */
export function stepEvent(args: BullEventArgs, step: LastSeen, job: AnyJob, receivedAt: number): JobEventView {
  const started = job.attemptsStarted;
  const finished = job.attemptsMade + job.stalledCounter;
  const event = base(job, step.type, step.attempt, receivedAt);
  switch (step.type) {
    case 'WAITING':
    case 'STALLED':
      return event;
    case 'ACTIVE':
      return { ...event, at: new Date(started === step.attempt && job.processedOn ? job.processedOn : receivedAt) };
    case 'PROGRESS':
      return { ...event, progress: typeof args.data === 'number' ? args.data : progressOf(job) };
    case 'RETRYING': {
      const recorded = finished === step.attempt && job.delay > 0 ? job.delay : null;
      return {
        ...event,
        failedReason: job.failedReason || null,
        delayMs: recorded ?? (args.delay ? Math.max(0, args.delay - receivedAt) : null),
      };
    }
    case 'COMPLETED':
      return {
        ...event,
        at: new Date(job.finishedOn ?? receivedAt),
        progress: progressOf(job),
        result: args.returnvalue ?? job.returnvalue ?? null,
      };
    case 'FAILED':
      return { ...event, at: new Date(job.finishedOn ?? receivedAt), failedReason: args.failedReason ?? job.failedReason ?? null };
  }
}

/** A job's place in its event sequence as a hub last saw it: the attempt and type of its latest event. */
export interface LastSeen {
  attempt: number;
  type: JobEventTypeName;
  /** No attempt has started yet: added, waiting or delayed before its first run. */
  unstarted?: boolean;
}

const ENDS = new Set<JobEventTypeName>(['RETRYING', 'STALLED', 'FAILED', 'COMPLETED']);

/**
 * The type and attempt of an event from the event before it alone, or null when the job's
 * history is unknown here (born before this process listened, or forgotten): then the
 * job read behind the event decides. QueueEvents delivers a job's events in order, so the
 * sequence is exact from the job's `added` on, whereas a read can be several steps ahead
 * of the event it describes (a fast job, or a loaded machine: a whole retry cycle fits in
 * one slow read), and an attempt taken from such a read would carry into every later
 * event. Hence the hub follows every job's sequence, read or not.
 */
export function sequenced(name: BullEventName | 'added', args: BullEventArgs, last: LastSeen | undefined): LastSeen | null {
  // A new job (ids may be reused after a removal: it starts again from 1).
  if (name === 'added' || (name === 'waiting' && args.prev === undefined)) return { attempt: 1, type: 'WAITING', unstarted: true };
  if (!last) return null;
  switch (name) {
    case 'waiting':
      if (last.unstarted) return last;
      return { attempt: last.type === 'WAITING' ? last.attempt : last.attempt + 1, type: 'WAITING' };
    case 'delayed':
      // Delayed before its first run (added with a delay) it waits for attempt 1; otherwise an attempt ran
      // (its ACTIVE may have been lost) and this is the backoff before the next.
      return last.unstarted ? last : { attempt: last.attempt, type: 'RETRYING' };
    case 'active':
      return { attempt: last.type === 'WAITING' ? last.attempt : last.attempt + 1, type: 'ACTIVE' };
    case 'progress':
      return { attempt: ENDS.has(last.type) ? last.attempt + 1 : last.attempt, type: 'PROGRESS' };
    case 'completed':
      return { attempt: last.attempt, type: 'COMPLETED' };
    case 'failed':
      return { attempt: last.attempt, type: 'FAILED' };
    case 'stalled':
      // BullMQ moves a stalled job back to wait (WAITING for the next attempt) before it reports the stall.
      return { attempt: last.type === 'WAITING' ? Math.max(1, last.attempt - 1) : last.attempt, type: 'STALLED' };
  }
}
