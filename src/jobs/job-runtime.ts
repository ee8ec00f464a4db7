import type { GraphQLSchema } from 'graphql';
import type { Services } from '../services.js';
import { JobAdmin } from './job-admin.js';
import { openJobBackend } from './job-backend.js';
import { JobEventHub, type QueueChannel } from './job-event-hub.js';
import { kindPolicies, queueConcurrency, type QueueName } from './job-kinds.js';
import { JobQueues } from './job-queues.js';
import { JobWorkers } from './job-workers.js';
import { applySchedules } from './schedules.js';

/** The jobs part of a process, as services.jobs: producers, admin, events, and (maybe) workers. */
export interface Jobs {
  backend: 'redis' | 'postgres';
  queues: JobQueues;
  admin: JobAdmin;
  events: JobEventHub;
  /** Whether this process runs workers (WORKERS=inline, or the worker process). */
  workers: boolean;
  close(): Promise<void>;
}

export interface JobsOptions {
  services: Services;
  schema: GraphQLSchema;
  /** Postgres of the app (BullMQ's PostgreSQL backend lives there when REDIS_URL is unset). */
  postgresUrl: string;
  runWorkers: boolean;
}

/**
 * Starts producers, schedules, QueueEvents and (when asked) workers. close() stops them
 * in the order that loses nothing: workers first (active jobs may finish, bounded), then
 * the event listeners, then the producers.
 */
export async function startJobs({ services, schema, postgresUrl, runWorkers }: JobsOptions): Promise<Jobs> {
  const { config, logger } = services;
  const backend = await openJobBackend(config, postgresUrl, (error) =>
    logger.warn({ err: error }, 'job backend Postgres connection failed; its pool replaces it'),
  );
  const queues = new JobQueues(backend, kindPolicies(config.JOB_RETRY), config);
  const channels = new Map<QueueName, QueueChannel>();
  let workers: JobWorkers | null = null;
  let hub: JobEventHub | null = null;
  const close = async () => {
    await workers?.close();
    hub?.close();
    await Promise.all([...channels.values()].map((channel) => channel.events.close()));
    await queues.close();
  };
  try {
    await applySchedules(queues, config, logger);
    for (const [name, queue] of queues.queues) channels.set(name, { queue, events: backend.events(name) });
    hub = new JobEventHub(channels, logger);
    await Promise.all([...channels.values()].map((channel) => channel.events.waitUntilReady()));
    if (runWorkers) {
      workers = new JobWorkers(
        backend,
        { services, schema, queues },
        {
          concurrency: queueConcurrency(config.JOB_CONCURRENCY),
          lockDurationMs: config.JOB_LOCK_DURATION_MS,
          stalledIntervalMs: config.JOB_STALLED_INTERVAL_MS,
          shutdownGraceMs: config.JOB_SHUTDOWN_GRACE_MS,
        },
        logger,
      );
      await workers.waitUntilReady();
    }
  } catch (error) {
    await close().catch((closeError: unknown) => logger.error({ err: closeError }, 'jobs did not close after a failed start'));
    throw error;
  }
  logger.info({ backend: backend.kind, workers: runWorkers }, 'jobs started');
  return { backend: backend.kind, queues, admin: new JobAdmin(queues), events: hub, workers: runWorkers, close };
}
