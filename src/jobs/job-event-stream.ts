import { isAfter, keyOf, type EventKey, type JobEventView } from './job-event.js';

/** A subscriber that cannot keep up is cut off rather than growing the process without bound. */
const MAX_BUFFERED = 10_000;

export interface StreamFilter {
  jobId: string | null;
  queue: string | null;
}

/**
 * One subscriber's events as an async iterator (what graphql-js subscribe() consumes).
 * Events pushed before `open()` wait; `open(snapshot)` puts the snapshot first and then
 * drops the queued and arriving events the snapshot already reflects, until the first
 * one that is newer: from there on every event passes, in hub order, so there is no gap
 * and no duplicate.
 */
export class JobEventStream implements AsyncIterableIterator<JobEventView> {
  private readonly buffer: JobEventView[] = [];
  private waiter: ((result: IteratorResult<JobEventView>) => void) | null = null;
  private failer: ((error: Error) => void) | null = null;
  private opened = false;
  private done = false;
  private error: Error | null = null;
  /** Key of the snapshot; null once an event newer than it passed (or without a snapshot). */
  private covered: EventKey | null = null;

  constructor(
    readonly filter: StreamFilter,
    private readonly onClose: (stream: JobEventStream) => void,
  ) {}

  wants(queue: string, jobId: string): boolean {
    return !this.done && (this.filter.jobId === null || this.filter.jobId === jobId) && (this.filter.queue === null || this.filter.queue === queue);
  }

  open(snapshot: { event: JobEventView; key: EventKey } | null): void {
    const early = this.buffer.splice(0);
    this.opened = true;
    if (snapshot) {
      this.covered = snapshot.key;
      this.deliver(snapshot.event);
    }
    for (const event of early) this.push(event);
  }

  push(event: JobEventView): void {
    if (this.done) return;
    if (!this.opened) {
      this.buffer.push(event);
      return;
    }
    if (this.covered) {
      if (!isAfter(keyOf(event), this.covered)) return;
      this.covered = null;
    }
    this.deliver(event);
  }

  private deliver(event: JobEventView): void {
    if (this.waiter) {
      const resolve = this.waiter;
      this.waiter = this.failer = null;
      resolve({ value: event, done: false });
      return;
    }
    this.buffer.push(event);
    if (this.buffer.length > MAX_BUFFERED) this.fail(new Error(`job event subscriber fell more than ${MAX_BUFFERED} events behind; subscribe again`));
  }

  /** Ends the stream (job removed, hub closing, or the client left). */
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
    if (this.opened && this.buffer.length > 0) return Promise.resolve({ value: this.buffer.shift()!, done: false });
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
