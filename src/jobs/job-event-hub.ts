import { LRUCache } from 'lru-cache';
import type { Logger } from '../logger.js';
import type { AnyJob, AnyQueue, AnyQueueEvents } from './job-backend.js';
import {
  BULL_EVENTS,
  eventFrom,
  isNewer,
  markOf,
  sequenced,
  snapshotEvent,
  type BullEventArgs,
  type BullEventName,
  type JobEventView,
  type LastSeen,
  type Mark,
} from './job-event.js';
import { JobEventStream, type StreamFilter } from './job-event-stream.js';
import type { QueueName } from './job-kinds.js';
import { JOB_REMOVED_EVENT } from './job-queues.js';
import { QuietJobs } from './quiet-jobs.js';

/**
 * A read event with the type and attempt its sequence gives. A read that ran ahead (its
 * attempt is later) may have had another type, and its backoff is a later retry's: the
 * event's own due time, from when it arrived, is the better figure then.
 */
function withStep(read: JobEventView, step: LastSeen, args: BullEventArgs, receivedAt: number): JobEventView {
  const event = { ...read, type: step.type, attempt: step.attempt };
  if (step.type !== 'RETRYING') return read.type === step.type ? event : { ...event, failedReason: null, delayMs: null };
  if (read.type === 'RETRYING' && read.attempt === step.attempt) return event;
  return { ...event, delayMs: args.delay ? Math.max(0, args.delay - receivedAt) : read.delayMs };
}

export interface QueueChannel {
  queue: AnyQueue;
  events: AnyQueueEvents;
}

const RECONCILE_EVERY_MS = 250;

/**
 * Fans BullMQ QueueEvents out to subscribers: one QueueEvents per queue and process, so
 * jobs run by a worker anywhere are seen here. Each event is turned into a JobEvent with
 * the job read at once (reads overlap) but delivered strictly in the order QueueEvents
 * gave them, through one promise chain per queue. Events no subscriber wants are not read.
 *
 * Attempts come from each job's event sequence, which the hub follows for every job
 * (cheaply, without reads) so it is known from the job's start when someone subscribes
 * later; see sequenced.
 *
 * QueueEvents can lose events: on the PostgreSQL backend (BullMQ 6.7) it pages the event
 * table by sequence id, and ids are allocated before their transactions commit, so an
 * event committed late behind a higher id already read is skipped; on both backends
 * the stream is trimmed. So a job subscribers wait on that stays quiet is read again,
 * and if it moved on, its current state is delivered as a catch-up event (streams drop
 * what it covers). Subscribers thus always reach the job's real state.
 */
export class JobEventHub {
  private readonly streams = new Set<JobEventStream>();
  private readonly chains = new Map<string, Promise<void>>();
  /** Per `queue|jobId`, the last event from QueueEvents, of every job: attempts follow from the sequence (see sequenced). */
  private readonly lastSeen = new LRUCache<string, LastSeen>({ max: 10_000 });
  private readonly quiet = new QuietJobs();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly channels: ReadonlyMap<QueueName, QueueChannel>,
    private readonly logger: Logger,
  ) {
    for (const [name, channel] of channels) {
      for (const event of BULL_EVENTS) {
        channel.events.on(event, (args: BullEventArgs) => this.receive(name, channel.queue, event, args));
      }
      // Not an event subscribers get, but where a job's sequence starts.
      channel.events.on('added', ({ jobId }: { jobId: string }) => this.inOrder(name, async () => void this.follow(name, 'added', { jobId })));
      for (const removed of ['removed', JOB_REMOVED_EVENT]) {
        channel.events.on(removed as 'removed', ({ jobId }: { jobId: string }) => this.inOrder(name, async () => this.endJob(name, jobId)));
      }
      channel.events.on('error', (error: Error) => logger.error({ err: error, queue: name }, 'job events connection failed'));
    }
    this.timer = setInterval(() => this.reconcile(), RECONCILE_EVERY_MS);
    this.timer.unref();
  }

  private inOrder(queue: string, step: () => Promise<void>): void {
    const chain = (this.chains.get(queue) ?? Promise.resolve()).then(step).catch((error: unknown) => {
      this.logger.error({ err: error, queue }, 'job event could not be delivered');
    });
    this.chains.set(queue, chain);
  }

  private wanted(queue: string, jobId: string): boolean {
    for (const stream of this.streams) if (stream.wants(queue, jobId)) return true;
    return false;
  }

  private receive(queue: QueueName, bull: AnyQueue, name: BullEventName, args: BullEventArgs): void {
    if (!this.wanted(queue, args.jobId)) {
      // Nobody watches the job (yet): only keep up with its sequence.
      this.inOrder(queue, async () => void this.follow(queue, name, args));
      return;
    }
    const receivedAt = Date.now();
    const reading = this.read(bull, name, args);
    // Keep the chain alive when a read fails; the failure is logged where it is awaited.
    reading.catch(() => {});
    this.inOrder(queue, async () => {
      const step = this.follow(queue, name, args);
      const read = await reading;
      if (!read) return;
      // The read only fills in details; where the sequence is unknown its counters decide (and anchor it).
      const event = step ? withStep(read, step, args, receivedAt) : read;
      if (!step) this.lastSeen.set(`${queue}|${args.jobId}`, { attempt: event.attempt, type: event.type });
      this.deliver(queue, event, markOf(event));
    });
  }

  /** Moves a job's sequence on by one event (run in queue order); null while its history is unknown. */
  private follow(queue: string, name: BullEventName | 'added', args: BullEventArgs): LastSeen | null {
    const key = `${queue}|${args.jobId}`;
    const step = sequenced(name, args, this.lastSeen.get(key));
    if (step) this.lastSeen.set(key, step);
    return step;
  }

  private async read(bull: AnyQueue, name: BullEventName, args: BullEventArgs): Promise<JobEventView | null> {
    const job = (await bull.getJob(args.jobId)) as AnyJob | undefined;
    // Gone already (removed, or trimmed by retention): nothing left to describe.
    if (!job) return null;
    return eventFrom(name, args, job, await job.getState());
  }

  private deliver(queue: QueueName, event: JobEventView, mark: Mark): void {
    for (const stream of this.streams) if (stream.wants(queue, event.jobId)) stream.push(event, mark);
    this.quiet.note(queue, event.jobId, mark);
  }

  /** Reads again each watched job that stayed quiet; delivers its state if it moved on (events were lost). */
  private reconcile(): void {
    for (const watch of this.quiet.due((w) => this.wanted(w.queue, w.jobId))) {
      const reading = this.snapshot(watch.queue, watch.jobId);
      reading.catch(() => {});
      this.inOrder(watch.queue, async () => {
        const snapshot = await reading;
        if (!snapshot) return this.endJob(watch.queue, watch.jobId);
        const current = this.quiet.get(watch.queue, watch.jobId);
        if (!current || !isNewer(snapshot.mark, current.mark)) return;
        this.logger.warn({ jobId: watch.jobId, queue: watch.queue, type: snapshot.event.type }, 'job events were lost; subscribers get the current state');
        this.deliver(watch.queue, snapshot.event, snapshot.mark);
      });
    }
  }

  private async snapshot(queue: QueueName, jobId: string): Promise<{ event: JobEventView; mark: Mark } | null> {
    const job = (await this.channels.get(queue)!.queue.getJob(jobId)) as AnyJob | undefined;
    return job ? snapshotEvent(job, await job.getState()) : null;
  }

  private async endJob(queue: string, jobId: string): Promise<void> {
    this.quiet.forget(queue, jobId);
    this.lastSeen.delete(`${queue}|${jobId}`);
    for (const stream of this.streams) if (stream.filter.jobId === jobId && stream.wants(queue, jobId)) stream.end();
  }

  /**
   * Opens a stream. With a job id the job is looked up (in `queue`, or in each queue) and
   * its current state comes first; null when there is no such job.
   */
  async subscribe(filter: StreamFilter): Promise<JobEventStream | null> {
    const stream = new JobEventStream(filter, (s) => this.streams.delete(s));
    // Registered before the state is read, so nothing that happens meanwhile is missed.
    this.streams.add(stream);
    try {
      if (filter.jobId === null) {
        stream.open(null);
        return stream;
      }
      for (const name of this.channels.keys()) {
        if (filter.queue !== null && filter.queue !== name) continue;
        const snapshot = await this.snapshot(name, filter.jobId);
        if (!snapshot) continue;
        stream.filter.queue = name;
        stream.open(snapshot);
        this.quiet.note(name, filter.jobId, snapshot.mark);
        return stream;
      }
      stream.end();
      return null;
    } catch (error) {
      stream.end();
      throw error;
    }
  }

  /**
   * Streams registered now whose filter matches `filter` (a field left out matches any).
   * A registered stream sees every event from then on: how a caller knows that a
   * subscription it opened is in place before it starts the jobs to watch.
   */
  subscribers(filter: Partial<StreamFilter> = {}): number {
    let count = 0;
    for (const stream of this.streams) {
      if (filter.jobId !== undefined && stream.filter.jobId !== filter.jobId) continue;
      if (filter.queue !== undefined && stream.filter.queue !== filter.queue) continue;
      count += 1;
    }
    return count;
  }

  /** Completes every stream (subscribers get `complete`), e.g. at shutdown. */
  close(): void {
    clearInterval(this.timer);
    for (const stream of [...this.streams]) stream.end();
  }
}
