import { LRUCache } from 'lru-cache';
import { isNewer, isTerminal, markOf, type JobEventView, type Mark } from './job-event.js';

/** A subscriber that cannot keep up is cut off rather than growing the process without bound. */
const MAX_BUFFERED = 10_000;

/**
 * A stream's subscriber fell more than `limit` events behind and was cut off. Typed so
 * the WebSocket layer can tell it from a failure and close the socket as a slow consumer.
 */
export class SubscriberOverflowError extends Error {
  constructor(readonly limit: number) {
    super(`job event subscriber fell more than ${limit} events behind; subscribe again`);
    this.name = 'SubscriberOverflowError';
  }
}

export interface StreamFilter {
  jobId: string | null;
  queue: string | null;
}

/**
 * One subscriber's events as an async iterator (what graphql-js subscribe() consumes).
 * Events pushed before `open()` wait; `open(snapshot)` puts the snapshot first. Per job,
 * an event passes only if it is news after the last one passed (or the snapshot), so
 * events the snapshot already reflects, late duplicates and events a catch-up already
 * covered (see JobEventHub.reconcile) never reach the subscriber: no duplicate, and
 * each job's events in order. A one-job stream ends after the job's terminal event
 * (COMPLETED, or FAILED: BullMQ reports `failed` only once no retry is left), so its
 * subscriber gets `complete` instead of waiting on a job that has nothing more to say;
 * a queue-wide stream stays open.
 */
export class JobEventStream implements AsyncIterableIterator<JobEventView> {
  private readonly buffer: JobEventView[] = [];
  /** Pushed before open(): they wait for the snapshot to be placed first. */
  private readonly early: Array<[JobEventView, Mark]> = [];
  private waiter: ((result: IteratorResult<JobEventView>) => void) | null = null;
  private failer: ((error: Error) => void) | null = null;
  private opened = false;
  private done = false;
  private error: Error | null = null;
  /** Per job, the mark of the last event passed. */
  private readonly last = new LRUCache<string, Mark>({ max: 10_000 });

  constructor(
    readonly filter: StreamFilter,
    private readonly onClose: (stream: JobEventStream) => void,
  ) {}

  wants(queue: string, jobId: string): boolean {
    return (
      !this.done &&
      (this.filter.jobId === null || this.filter.jobId === jobId) &&
      (this.filter.queue === null || this.filter.queue === queue)
    );
  }

  open(snapshot: { event: JobEventView; mark: Mark } | null): void {
    const early = this.early.splice(0);
    this.opened = true;
    if (snapshot) {
      this.last.set(snapshot.event.jobId, snapshot.mark);
      this.deliver(snapshot.event);
    }
    for (const [event, mark] of early) this.push(event, mark);
  }

  /** `mark` defaults to the event's own (a catch-up snapshot passes its snapshot mark). */
  push(event: JobEventView, mark: Mark = markOf(event)): void {
    if (this.done) return;
    if (!this.opened) {
      this.early.push([event, mark]);
      return;
    }
    const last = this.last.get(event.jobId);
    if (last && !isNewer(mark, last)) return;
    this.last.set(event.jobId, mark);
    this.deliver(event);
  }

  private deliver(event: JobEventView): void {
    if (this.waiter) {
      const resolve = this.waiter;
      this.waiter = this.failer = null;
      resolve({ value: event, done: false });
    } else {
      this.buffer.push(event);
      if (this.buffer.length > MAX_BUFFERED) return this.fail(new SubscriberOverflowError(MAX_BUFFERED));
    }
    // After end() the buffer still drains (next()), so the terminal event reaches the subscriber before `complete`.
    if (this.filter.jobId !== null && isTerminal(event.type)) this.end();
  }

  /** Ends the stream (the job finished or was removed, the hub is closing, or the client left). */
  end(): void {
    if (this.done) return;
    this.done = true;
    this.onClose(this);
    if (this.waiter) this.waiter({ value: undefined, done: true });
    this.waiter = this.failer = null;
  }

  fail(error: Error): void {
    if (this.done) return;
    this.error = error;
    this.buffer.length = 0;
    const failer = this.failer;
    this.end();
    failer?.(error);
  }

  next(): Promise<IteratorResult<JobEventView>> {
    if (this.buffer.length > 0) return Promise.resolve({ value: this.buffer.shift()!, done: false });
    if (this.error) return Promise.reject(this.error);
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.waiter = resolve;
      this.failer = reject;
    });
  }

  return(): Promise<IteratorResult<JobEventView>> {
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
