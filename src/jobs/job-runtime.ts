import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { JobAdmin } from './job-admin.js';
import { openJobBackend } from './job-backend.js';
import type { JobContext } from './job-context.js';
import { JobEventHub, type QueueChannel } from './job-event-hub.js';
import { kindPolicies, queueConcurrency, type QueueName } from './job-kinds.js';
import { JobQueues } from './job-queues.js';
import { JobWorkers } from './job-workers.js';
import type { Jobs } from './jobs.js';
import { applySchedules } from './schedules.js';
import { closeBounded } from './close-bounded.js';

export type { Jobs } from './jobs.js';

/**
 * The jobs part as app.ts holds it: Jobs, plus starting the workers. Processors use the
 * process's services (cache warming runs requests through them), and the services hold
 * the jobs part: so the producers open first, the services are assembled with them, and
 * the workers start last.
 */
export interface JobsRuntime extends Jobs {
  /** Starts this process's workers when it runs them (else does nothing); once. */
  startWorkers(context: Omit<JobContext, 'queues'>): Promise<void>;
}

export interface JobsOptions {
  config: Config;
  logger: Logger;
  /** Postgres of the app (BullMQ's PostgreSQL backend lives there when REDIS_URL is unset). */
  postgresUrl: string;
  runWorkers: boolean;
}

/**
 * Starts producers, schedules and QueueEvents; workers start with startWorkers. close()
 * stops them in the order that loses nothing: workers first (active jobs may finish,
 * bounded), then the event listeners, then the producers.
 */
export async function startJobs({ config, logger, postgresUrl, runWorkers }: JobsOptions): Promise<JobsRuntime> {
  const backend = await openJobBackend(
    config,
    postgresUrl,
    (error) => logger.warn({ err: error }, 'job backend Postgres connection failed; its pool replaces it'),
    (error, part) => logger.warn({ err: error, part }, 'job backend connection failed; it reconnects'),
  );
  const queues = new JobQueues(backend, kindPolicies(config.JOB_RETRY), config);
  const channels = new Map<QueueName, QueueChannel>();
  let workers: JobWorkers | null = null;
  let hub: JobEventHub | null = null;
  const close = async () => {
    await workers?.close();
    hub?.close();
    await Promise.all([...channels.entries()].map(([name, channel]) => closeBounded(channel.events, `${name} events`, logger)));
    await queues.close(logger);
    await backend.close();
  };
  try {
    await applySchedules(queues, config, logger);
    for (const [name, queue] of queues.queues) channels.set(name, { queue, events: backend.events(name) });
    hub = new JobEventHub(channels, logger);
    await Promise.all([...channels.values()].map((channel) => channel.events.waitUntilReady()));
  } catch (error) {
    await close().catch((closeError: unknown) => logger.error({ err: closeError }, 'jobs did not close after a failed start'));
    throw error;
  }
  let workersStarted = false;
  const startWorkers = async (context: Omit<JobContext, 'queues'>) => {
    if (workersStarted) throw new Error('startWorkers was called twice; the workers of this process are already running');
    workersStarted = true;
    if (runWorkers) {
      // Assigned before waiting: a failed wait leaves them to close(), which the caller's failed start runs.
      workers = new JobWorkers(
        backend,
        { ...context, queues },
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
    logger.info({ backend: backend.kind, workers: runWorkers }, 'jobs started');
  };
  const queueEvents = new Map([...channels].map(([name, channel]) => [name, channel.events]));
  return { backend: backend.kind, queues, admin: new JobAdmin(queues), events: hub, queueEvents, workers: runWorkers, startWorkers, close };
}
