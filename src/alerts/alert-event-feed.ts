import type { AlertTransition } from './alert-status.js';

/** A subscriber further behind than this is cut off (alert transitions are rare; this only bounds a stuck socket). */
const MAX_BUFFERED = 1_000;

/** One subscriber's transitions, as the async iterator graphql-js subscribe() consumes. */
class AlertEventStream implements AsyncIterableIterator<AlertTransition> {
  private readonly buffer: AlertTransition[] = [];
  private waiter: ((result: IteratorResult<AlertTransition>) => void) | null = null;
  private done = false;

  constructor(private readonly onClose: (stream: AlertEventStream) => void) {}

  push(transition: AlertTransition): void {
    if (this.done) return;
    if (this.waiter) {
      const waiter = this.waiter;
      this.waiter = null;
      waiter({ value: transition, done: false });
    } else if (this.buffer.length >= MAX_BUFFERED) {
      // The socket has not taken anything for MAX_BUFFERED transitions: it is not reading.
      void this.return();
    } else this.buffer.push(transition);
  }

  next(): Promise<IteratorResult<AlertTransition>> {
    const value = this.buffer.shift();
    if (value) return Promise.resolve({ value, done: false });
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => (this.waiter = resolve));
  }

  return(): Promise<IteratorResult<AlertTransition>> {
    if (!this.done) {
      this.done = true;
      this.buffer.length = 0;
      this.onClose(this);
      this.waiter?.({ value: undefined, done: true });
      this.waiter = null;
    }
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<AlertTransition> {
    return this;
  }
}

/** Hands each transition this instance learns of (its own evaluation or the cluster's channel) to every alertEvents subscriber here. */
export class AlertEventFeed {
  private readonly streams = new Set<AlertEventStream>();

  /** Registered at once: a transition delivered after this call reaches the stream. */
  subscribe(): AsyncIterableIterator<AlertTransition> {
    const stream = new AlertEventStream((closed) => this.streams.delete(closed));
    this.streams.add(stream);
    return stream;
  }

  deliver(transition: AlertTransition): void {
    for (const stream of this.streams) stream.push(transition);
  }

  /** Ends every open stream (the service stops): their subscriptions complete. */
  closeAll(): void {
    for (const stream of [...this.streams]) void stream.return();
  }

  /** alertEvents subscriptions open on this instance. */
  get subscribers(): number {
    return this.streams.size;
  }
}
