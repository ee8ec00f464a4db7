import type { Logger } from '../logger.js';
import type { AnyJob, AnyQueue, AnyQueueEvents } from './job-backend.js';
import { LRUCache } from 'lru-cache';
import {
  BULL_EVENTS,
  eventFrom,
  sequencedAttempt,
  snapshotEvent,
  type BullEventArgs,
  type BullEventName,
  type JobEventView,
  type LastSeen,
} from './job-event.js';
import { JobEventStream, type StreamFilter } from './job-event-stream.js';
import type { QueueName } from './job-kinds.js';
import { JOB_REMOVED_EVENT } from './job-queues.js';

export interface QueueChannel {
  queue: AnyQueue;
  events: AnyQueueEvents;
}

/**
 * Fans BullMQ QueueEvents out to subscribers: one QueueEvents per queue and process, so
 * jobs run by a worker anywhere are seen here. Each event is turned into a JobEvent with
 * the job read at once (reads overlap) but delivered strictly in the order QueueEvents
 * gave them, through one promise chain per queue. Events no subscriber wants are not
 * read at all.
 */
export class JobEventHub {
  private readonly streams = new Set<JobEventStream>();
  private readonly chains = new Map<string, Promise<void>>();
  /** Per `queue|jobId`, the last event delivered: attempts follow from the sequence (see sequencedAttempt). */
  private readonly lastSeen = new LRUCache<string, LastSeen>({ max: 10_000 });

  constructor(
    private readonly channels: ReadonlyMap<QueueName, QueueChannel>,
    private readonly logger: Logger,
  ) {
    for (const [name, channel] of channels) {
      for (const event of BULL_EVENTS) {
        channel.events.on(event, (args: BullEventArgs) => this.receive(name, channel.queue, event, args));
      }
      for (const removed of ['removed', JOB_REMOVED_EVENT]) {
        channel.events.on(removed as 'removed', ({ jobId }: { jobId: string }) => this.inOrder(name, async () => this.endJob(name, jobId)));
      }
      channel.events.on('error', (error: Error) => logger.error({ err: error, queue: name }, 'job events connection failed'));
    }
  }

  private inOrder(queue: string, step: () => Promise<void>): void {
    const chain = (this.chains.get(queue) ?? Promise.resolve()).then(step).catch((error: unknown) => {
      this.logger.error({ err: error, queue }, 'job event could not be delivered');
    });
    this.chains.set(queue, chain);
  }

  private receive(queue: QueueName, bull: AnyQueue, name: BullEventName, args: BullEventArgs): void {
    if (![...this.streams].some((s) => s.wants(queue, args.jobId))) return;
    const reading = this.read(bull, name, args);
    // Keep the chain alive when a read fails; the failure is logged where it is awaited.
    reading.catch(() => {});
    this.inOrder(queue, async () => {
      const read = await reading;
      if (!read) return;
      const key = `${queue}|${read.jobId}`;
      const event = { ...read, attempt: sequencedAttempt(read, name, args, this.lastSeen.get(key)) };
      this.lastSeen.set(key, { attempt: event.attempt, type: event.type });
      for (const stream of this.streams) if (stream.wants(queue, event.jobId)) stream.push(event);
    });
  }

  private async read(bull: AnyQueue, name: BullEventName, args: BullEventArgs): Promise<JobEventView | null> {
    const job = (await bull.getJob(args.jobId)) as AnyJob | undefined;
    // Gone already (removed, or trimmed by retention): nothing left to describe.
    if (!job) return null;
    return eventFrom(name, args, job, await job.getState());
  }

  private async endJob(queue: string, jobId: string): Promise<void> {
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
      for (const [name, channel] of this.channels) {
        if (filter.queue !== null && filter.queue !== name) continue;
        const job = (await channel.queue.getJob(filter.jobId)) as AnyJob | undefined;
        if (!job) continue;
        stream.filter.queue = name;
        stream.open(snapshotEvent(job, await job.getState()));
        return stream;
      }
      stream.end();
      return null;
    } catch (error) {
      stream.end();
      throw error;
    }
  }

  /** Completes every stream (subscribers get `complete`), e.g. at shutdown. */
  close(): void {
    for (const stream of [...this.streams]) stream.end();
  }
}
