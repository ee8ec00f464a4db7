import type { JobAdmin } from './job-admin.js';
import type { AnyQueueEvents } from './job-backend.js';
import type { JobEventHub } from './job-event-hub.js';
import type { QueueName } from './job-kinds.js';
import type { JobQueues } from './job-queues.js';

/**
 * The jobs part as the rest of the process sees it (services.jobs): producers, admin and
 * job events. Kept apart from job-runtime.ts, which starts the workers and so reaches
 * every processor: services.ts names this type without depending on what processors use.
 */
export interface Jobs {
  readonly backend: 'redis' | 'postgres';
  readonly queues: JobQueues;
  readonly admin: JobAdmin;
  readonly events: JobEventHub;
  /** This process's BullMQ QueueEvents per queue (what `events` fans out; metrics count job outcomes from them). */
  readonly queueEvents: ReadonlyMap<QueueName, AnyQueueEvents>;
  /** Whether this process runs workers (WORKERS=inline, or the worker process). */
  readonly workers: boolean;
  close(): Promise<void>;
}
