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
  stepEvent,
  type BullEventArgs,
  type BullEventName,
  type JobEventView,
  type LastSeen,
  type Mark,
} from './job-event.js';
import { JobEventStream, type StreamFilter } from './job-event-stream.js';
import type { QueueName } from './job-kinds.js';
import { JOB_REMOVED_EVENT } from './job-queues.js';
import type { BullState } from './job-view.js';
import { QuietJobs } from './quiet-jobs.js';

/** A job's record and its state; `settled` when the record was read in that state (see readSettled). */
interface JobRead {
  job: AnyJob;
  state: BullState;
  settled: boolean;
}

/** Rounds of readSettled before it gives up on a job that keeps moving. */
const SETTLE_ROUNDS = 8;

/**
 * A job's fields together with the state it was in when they were read. BullMQ reads the
 * two apart (getJob, then getState) and a job moves on between them: paired as read, a
 * retried job read while ACTIVE and found completed is a COMPLETED with the counters of
 * that ACTIVE, numbered attempt 3 for its 4th. The state is therefore read before and
 * after the fields: when both agree, the fields are that state's (counters only change
 * as a job changes state), and eventFrom / snapshotEvent number the attempt right. A job
 * that moves on meanwhile is read again, up to SETTLE_ROUNDS times (each time means
 * another step of its life, which is finite; a job waits, backs off or ends soon enough);
 * the last read is then returned unsettled, for callers to use only what does not depend
 * on the pairing. null: no such job (any more).
 */
async function readSettled(queue: AnyQueue, jobId: string): Promise<JobRead | null> {
  let before: string = await queue.getJobState(jobId);
  for (let round = 1; ; round += 1) {
    const job = (await queue.getJob(jobId)) as AnyJob | undefined;
    if (!job) return null;
    const state = await job.getState();
    if (state === before || round === SETTLE_ROUNDS) return { job, state, settled: state === before };
    before = state;
  }
}

/** Opens a subscription whose job could not be read settled: a snapshot older than any event, so the next reconcile delivers the job's state. */
const UNKNOWN_MARK: Mark = { key: [0, 0, 0], type: 'WAITING' };

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
 * later; see sequenced. The job's record read for an event then only fills in details
 * (stepEvent). Where a job's state decides instead (a subscriber's first event, a
 * catch-up, a job whose history is unknown here), the job is read settled: record and
 * state as of one moment (readSettled).
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
      channel.events.on('added', ({ jobId }: { jobId: string }) =>
        this.inOrder(name, async () => void this.follow(name, 'added', { jobId })),
      );
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
    // Where the sequence gives type and attempt the job's record only fills in details; where it does not
    // (the job's history is unknown here) the job's state decides as well, which takes a settled read.
    const known = sequenced(name, args, this.lastSeen.get(`${queue}|${args.jobId}`)) !== null;
    const record = known ? (bull.getJob(args.jobId) as Promise<AnyJob | undefined>) : null;
    const settled = known ? null : readSettled(bull, args.jobId);
    // Keep the chain alive when a read fails; the failure is logged where it is awaited.
    record?.catch(() => {});
    settled?.catch(() => {});
    this.inOrder(queue, async () => {
      const step = this.follow(queue, name, args);
      if (step) {
        const job = record ? await record : (await settled!)?.job;
        // Gone already (removed, or trimmed by retention): nothing left to describe.
        if (job) this.deliver(queue, stepEvent(args, step, job, receivedAt));
        return;
      }
      // (Forgotten since it arrived: read settled now.)
      const read = await (settled ?? readSettled(bull, args.jobId));
      // Gone, or it kept moving through every read: reconcile delivers where it got to.
      if (!read?.settled) return;
      const event = eventFrom(name, args, read.job, read.state);
      // The read's counters anchor the sequence from here on.
      this.lastSeen.set(`${queue}|${args.jobId}`, { attempt: event.attempt, type: event.type });
      this.deliver(queue, event);
    });
  }

  /** Moves a job's sequence on by one event (run in queue order); null while its history is unknown. */
  private follow(queue: string, name: BullEventName | 'added', args: BullEventArgs): LastSeen | null {
    const key = `${queue}|${args.jobId}`;
    const step = sequenced(name, args, this.lastSeen.get(key));
    if (step) this.lastSeen.set(key, step);
    return step;
  }

  private deliver(queue: QueueName, event: JobEventView, mark: Mark = markOf(event)): void {
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
        // Still moving: its events are on their way, or the next round reads it again.
        if (snapshot === 'unsettled') return;
        const current = this.quiet.get(watch.queue, watch.jobId);
        if (!current || !isNewer(snapshot.mark, current.mark)) return;
        this.logger.warn(
          { jobId: watch.jobId, queue: watch.queue, type: snapshot.event.type },
          'job events were lost; subscribers get the current state',
        );
        this.deliver(watch.queue, snapshot.event, snapshot.mark);
      });
    }
  }

  /** The job's current state as an event; null: no such job; 'unsettled': it kept moving while read (see readSettled). */
  private async snapshot(queue: QueueName, jobId: string): Promise<{ event: JobEventView; mark: Mark } | 'unsettled' | null> {
    const read = await readSettled(this.channels.get(queue)!.queue, jobId);
    if (!read) return null;
    return read.settled ? snapshotEvent(read.job, read.state) : 'unsettled';
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
        if (snapshot === 'unsettled') {
          // Rare (a job that kept moving through every read): its events from now on, and its state at the next reconcile.
          stream.open(null);
          this.quiet.note(name, filter.jobId, UNKNOWN_MARK);
        } else {
          stream.open(snapshot);
          this.quiet.note(name, filter.jobId, snapshot.mark);
        }
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
