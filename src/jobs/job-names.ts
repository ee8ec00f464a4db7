/**
 * The names of every job kind and queue, and nothing else: src/config.ts checks JOB_RETRY
 * and JOB_CONCURRENCY against them before anything starts, without loading the jobs
 * runtime; src/jobs/job-kinds.ts gives each kind its data, queue and retry policy.
 */

export const JOB_KIND_NAMES = ['generateReport', 'refreshAggregates', 'warmCache', 'cleanupEvents', 'probe', 'sendAlertWebhook'] as const;
export type JobKind = (typeof JOB_KIND_NAMES)[number];

export const QUEUE_NAMES = ['reports', 'maintenance', 'alerts'] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];
