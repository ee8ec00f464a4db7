/**
 * Every kind of job, the queue it runs on and its retry policy. Three queues so that work
 * an admin is waiting for (reports) never queues behind maintenance, and an alert webhook
 * never waits behind a long refresh (alerts); inside a queue,
 * work an admin asked for goes before scheduled work (BullMQ priority: lower first).
 */

import { QUEUE_NAMES, type JobKind, type QueueName } from './job-names.js';
import type { AlertWebhookJob } from '../alerts/alert-webhook.js';

export { QUEUE_NAMES, type JobKind, type QueueName } from './job-names.js';

export interface DateRangeData {
  from: string;
  to: string;
}

export type ReportKindName = 'DAILY_SALES' | 'PRODUCT_PERFORMANCE' | 'INVENTORY';

/** The data of each kind (what is stored with the job; JSON only); one entry per name of src/jobs/job-names.ts. */
export interface JobDataByKind extends Record<JobKind, unknown> {
  generateReport: {
    kind: ReportKindName;
    range: DateRangeData;
    /** null = every store (the requesting key's scope is applied before enqueueing). */
    storeIds: number[] | null;
    /** Pause between steps, ms: lets tests and demos watch (or kill) a report mid-way. */
    pauseMs?: number;
  };
  refreshAggregates: Record<string, never>;
  warmCache: { storeIds: number[] | null; ranges: DateRangeData[] | null };
  cleanupEvents: Record<string, never>;
  /** A no-op (health checks, benchmarks, tests): sleeps `sleepMs`, fails while attempt <= failAttempts. */
  probe: { sleepMs?: number; failAttempts?: number };
  /** One alert transition POSTed to ALERT_WEBHOOK_URL (src/alerts/alert-webhook.ts). */
  sendAlertWebhook: AlertWebhookJob;
}

export type JobData = JobDataByKind[JobKind];

export interface KindPolicy {
  queue: QueueName;
  attempts: number;
  /** First retry delay (ms); each later one doubles, with jitter. */
  backoffMs: number;
}

export const KIND_POLICIES: Readonly<Record<JobKind, KindPolicy>> = {
  generateReport: { queue: 'reports', attempts: 3, backoffMs: 2_000 },
  refreshAggregates: { queue: 'maintenance', attempts: 3, backoffMs: 30_000 },
  warmCache: { queue: 'maintenance', attempts: 2, backoffMs: 10_000 },
  cleanupEvents: { queue: 'maintenance', attempts: 5, backoffMs: 60_000 },
  probe: { queue: 'maintenance', attempts: 3, backoffMs: 1_000 },
  // 1, 2, 4, 8 s: a receiver that is restarting gets about 15 s before the notification is given up.
  sendAlertWebhook: { queue: 'alerts', attempts: 5, backoffMs: 1_000 },
};

export const JOB_KINDS = Object.keys(KIND_POLICIES) as JobKind[];

/** alerts: a few webhook POSTs at once, so one slow receiver (up to its 10 s timeout) does not hold the others. */
export const DEFAULT_CONCURRENCY: Readonly<Record<QueueName, number>> = { reports: 2, maintenance: 1, alerts: 4 };

/** Priorities (lower runs first): what an admin asked for before what a schedule started. */
export const PRIORITY = { requested: 1, scheduled: 10 } as const;

export function isJobKind(name: string): name is JobKind {
  return Object.hasOwn(KIND_POLICIES, name);
}

export function isQueueName(name: string): name is QueueName {
  return (QUEUE_NAMES as readonly string[]).includes(name);
}

/** The defaults with JOB_RETRY's overrides (src/config.ts has checked their names and numbers). */
export function kindPolicies(overrides: Readonly<Partial<Record<JobKind, readonly number[]>>>): Record<JobKind, KindPolicy> {
  const policies = { ...KIND_POLICIES };
  for (const kind of JOB_KINDS) {
    const override = overrides[kind];
    if (override) policies[kind] = { ...policies[kind], attempts: override[0], backoffMs: override[1] };
  }
  return policies;
}

/** DEFAULT_CONCURRENCY with JOB_CONCURRENCY's overrides (src/config.ts has checked them). */
export function queueConcurrency(overrides: Readonly<Partial<Record<QueueName, readonly number[]>>>): Record<QueueName, number> {
  const concurrency = { ...DEFAULT_CONCURRENCY };
  for (const queue of QUEUE_NAMES) {
    const override = overrides[queue];
    if (override) concurrency[queue] = override[0];
  }
  return concurrency;
}
