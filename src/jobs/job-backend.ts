import pg from 'pg';
import {
  Queue,
  QueueEvents,
  QueueEventsProducer,
  Worker,
  createPostgresBackend,
  createRedisBackend,
  runMigrations,
  type BackendFactory,
  type ConnectionOptions,
  type IQueueBackend,
  type Job,
  type Processor,
  type WorkerOptions,
} from 'bullmq';
import type { Config } from '../config.js';
import { loggedClientClass } from '../db/logged-client.js';
import type { JobData } from './job-kinds.js';

export type AnyJob = Job<JobData, unknown, string>;
export type AnyQueue = Queue<JobData, unknown, string, JobData, unknown, string, IQueueBackend, unknown>;
export type AnyWorker = Worker<JobData, unknown, string, IQueueBackend, number | object | string | boolean, unknown>;
export type AnyQueueEvents = QueueEvents<unknown, IQueueBackend, unknown>;
export type AnyEventsProducer = QueueEventsProducer<IQueueBackend, unknown>;
export type WorkerSettings = Omit<WorkerOptions<unknown>, 'connection' | 'prefix'>;

/**
 * Where BullMQ keeps its queues: Redis when REDIS_URL is set (its own connections, with
 * the `maxRetriesPerRequest: null` BullMQ requires of blocking ones; never the cache's
 * fail-fast connection), else BullMQ's PostgreSQL backend in the app's own database.
 * The rest of the code only sees these three constructors.
 */
export interface JobBackend {
  kind: 'redis' | 'postgres';
  queue(name: string): AnyQueue;
  worker(name: string, processor: Processor<JobData, unknown, string>, settings: WorkerSettings): AnyWorker;
  events(name: string): AnyQueueEvents;
  /** Publishes our own events into a queue's event stream (see JobQueues.announceRemoved). */
  eventsProducer(name: string): AnyEventsProducer;
}

/** ioredis options from a redis:// or rediss:// URL (BullMQ takes options, not a URL). */
function redisOptions(url: string): ConnectionOptions & Record<string, unknown> {
  const parsed = new URL(url);
  const db = parsed.pathname.length > 1 ? Number(parsed.pathname.slice(1)) : 0;
  if (!Number.isInteger(db)) throw new Error(`REDIS_URL database must be a number, got "${parsed.pathname.slice(1)}"`);
  return {
    host: parsed.hostname,
    port: parsed.port ? Number(parsed.port) : 6379,
    username: parsed.username ? decodeURIComponent(parsed.username) : undefined,
    password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
    db,
    tls: parsed.protocol === 'rediss:' ? {} : undefined,
    connectionName: 'graphpulse:jobs',
  };
}

/** BullMQ's tables, created or upgraded once per start on one dedicated session (its advisory lock serialises instances). */
async function migratePostgres(connectionString: string, schema: string, Client: typeof pg.Client): Promise<void> {
  const client = new Client({ connectionString, application_name: 'graphpulse:jobs-migrate' });
  await client.connect();
  try {
    await runMigrations(client, schema);
  } finally {
    await client.end();
  }
}

/**
 * `onConnectionError` hears about Postgres connections of BullMQ's pools that fail (a
 * restart; they are replaced); `onPartError` about errors of the queues and events
 * producers (a Redis that is gone; they reconnect).
 */
export async function openJobBackend(
  config: Config,
  postgresUrl: string,
  onConnectionError: (error: Error) => void,
  onPartError: (error: Error, part: string) => void,
): Promise<JobBackend> {
  const factory = (config.REDIS_URL ? createRedisBackend : createPostgresBackend) as unknown as BackendFactory<IQueueBackend, unknown>;
  let producer: unknown;
  let consumer: unknown;
  if (config.REDIS_URL) {
    const base = redisOptions(config.REDIS_URL);
    // Producers fail within a second on a dead Redis (a mutation answers instead of hanging); workers wait it out.
    producer = { ...base, maxRetriesPerRequest: 1 };
    consumer = { ...base, maxRetriesPerRequest: null };
  } else {
    const Client = loggedClientClass(onConnectionError);
    await migratePostgres(postgresUrl, config.JOB_PG_SCHEMA, Client);
    // `Client` reaches BullMQ's pg.Pool through its pool options: see loggedClientClass for why.
    const connection = (max: number) => ({
      connectionString: postgresUrl,
      schema: config.JOB_PG_SCHEMA,
      max,
      application_name: 'graphpulse:jobs',
      Client,
    });
    producer = connection(4);
    consumer = connection(4);
  }
  const heard = <T extends { on(event: 'error', listener: (error: Error) => void): unknown }>(part: T, what: string): T => {
    part.on('error', (error) => onPartError(error, what));
    return part;
  };
  // On Redis the prefix keeps deployments (and test files) sharing one server apart; Postgres uses the schema.
  const prefix = `${config.REDIS_PREFIX}bull`;
  return {
    kind: config.REDIS_URL ? 'redis' : 'postgres',
    // Producers have no other listener: without one, BullMQ prints their connection errors to stderr.
    queue: (name) => heard(new Queue(name, { connection: producer, prefix }, factory) as unknown as AnyQueue, `${name} queue`),
    worker: (name, processor, settings) =>
      new Worker(name, processor, { ...settings, connection: consumer, prefix }, factory) as unknown as AnyWorker,
    events: (name) => new QueueEvents(name, { connection: consumer, prefix }, factory) as unknown as AnyQueueEvents,
    eventsProducer: (name) =>
      heard(
        new QueueEventsProducer(name, { connection: producer, prefix }, factory) as unknown as AnyEventsProducer,
        `${name} events producer`,
      ),
  };
}
