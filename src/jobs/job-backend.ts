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
import { Cluster } from 'ioredis';
import type { Config } from '../config.js';
import { loggedClientClass } from '../db/logged-client.js';
import { isClusterUrl, parseClusterUrl, REDIS_SLOTS_REFRESH_INTERVAL_MS } from '../redis.js';
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
  /** The Redis key prefix of a queue (what BullMQ's `prefix` is for it); Postgres: the one it would have on Redis. */
  prefix(name: string): string;
  /** Closes what the backend itself opened (the producers' Redis Cluster connections); call after closing every part. */
  close(): Promise<void>;
}

/**
 * BullMQ's key prefix for a queue. One server: `${REDIS_PREFIX}bull` for every queue, as
 * always (existing queues keep their keys). Redis Cluster: BullMQ's scripts touch several
 * keys of a queue at once, so each queue's keys must share one slot: a hash tag per queue,
 * `{${REDIS_PREFIX}bull:<queue>}`, which also spreads the queues over the shards; when
 * REDIS_PREFIX carries a tag itself, everything is already pinned to its slot and
 * `${REDIS_PREFIX}bull` is kept.
 */
export function bullPrefix(config: Pick<Config, 'REDIS_PREFIX' | 'REDIS_URL'>, queue: string): string {
  const cluster = config.REDIS_URL !== undefined && isClusterUrl(config.REDIS_URL);
  if (!cluster || /\{[^}]+\}/.test(config.REDIS_PREFIX)) return `${config.REDIS_PREFIX}bull`;
  return `{${config.REDIS_PREFIX}bull:${queue}}`;
}

/**
 * BullMQ on a Redis Cluster takes ioredis Cluster instances (never options). Producers get
 * one each (BullMQ leaves an instance it is given open: closed by JobBackend.close);
 * workers and QueueEvents get a lazy template that BullMQ duplicates into connections it
 * owns and closes (`maxRetriesPerRequest: null`, as BullMQ requires of blocking ones).
 */
function clusterConnections(url: string): { producer: () => Cluster; consumer: Cluster } {
  const parsed = parseClusterUrl(url);
  const redisOptions = {
    username: parsed.username,
    password: parsed.password,
    tls: parsed.tls ? {} : undefined,
    connectionName: 'graphpulse:jobs',
  };
  const common = { slotsRefreshInterval: REDIS_SLOTS_REFRESH_INTERVAL_MS, slotsRefreshTimeout: 1_000 };
  return {
    // Producers fail within about a second on a dead cluster (a mutation answers instead of hanging): no offline queue.
    producer: () =>
      quiet(
        new Cluster(parsed.nodes, { ...common, enableOfflineQueue: false, redisOptions: { ...redisOptions, maxRetriesPerRequest: 1 } }),
      ),
    consumer: quiet(
      new Cluster(parsed.nodes, { ...common, lazyConnect: true, redisOptions: { ...redisOptions, maxRetriesPerRequest: null } }),
    ),
  };
}

/** BullMQ reports its connections' errors through its own parts ('error' of Queue, Worker…); without a listener of its own, ioredis prints a refresh failure as an unhandled error event. */
function quiet(cluster: Cluster): Cluster {
  cluster.on('error', () => {});
  return cluster;
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
  let newProducer: (() => unknown) | null = null;
  const opened: Cluster[] = [];
  if (config.REDIS_URL && isClusterUrl(config.REDIS_URL)) {
    const connections = clusterConnections(config.REDIS_URL);
    consumer = connections.consumer;
    newProducer = () => {
      const cluster = connections.producer();
      opened.push(cluster);
      return cluster;
    };
  } else if (config.REDIS_URL) {
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
  const prefix = (name: string) => bullPrefix(config, name);
  const producerFor = () => (newProducer ? newProducer() : producer);
  return {
    kind: config.REDIS_URL ? 'redis' : 'postgres',
    // Producers have no other listener: without one, BullMQ prints their connection errors to stderr.
    queue: (name) =>
      heard(new Queue(name, { connection: producerFor(), prefix: prefix(name) }, factory) as unknown as AnyQueue, `${name} queue`),
    worker: (name, processor, settings) =>
      new Worker(name, processor, { ...settings, connection: consumer, prefix: prefix(name) }, factory) as unknown as AnyWorker,
    events: (name) => new QueueEvents(name, { connection: consumer, prefix: prefix(name) }, factory) as unknown as AnyQueueEvents,
    eventsProducer: (name) =>
      heard(
        new QueueEventsProducer(name, { connection: producerFor(), prefix: prefix(name) }, factory) as unknown as AnyEventsProducer,
        `${name} events producer`,
      ),
    prefix,
    close: async () => {
      await Promise.all(opened.splice(0).map((cluster) => cluster.quit().catch(() => cluster.disconnect())));
    },
  };
}
