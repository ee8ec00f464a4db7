/**
 * Every kind of job, the queue it runs on and its retry policy. Two queues so that work
 * an admin is waiting for (reports) never queues behind maintenance; inside a queue,
 * work an admin asked for goes before scheduled work (BullMQ priority: lower first).
 */

export const QUEUE_NAMES = ['reports', 'maintenance'] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];

export interface DateRangeData {
  from: string;
  to: string;
}

export type ReportKindName = 'DAILY_SALES' | 'PRODUCT_PERFORMANCE' | 'INVENTORY';

/** The data of each kind (what is stored with the job; JSON only). */
export interface JobDataByKind {
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
}

export type JobKind = keyof JobDataByKind;
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
};

export const JOB_KINDS = Object.keys(KIND_POLICIES) as JobKind[];

export const DEFAULT_CONCURRENCY: Readonly<Record<QueueName, number>> = { reports: 2, maintenance: 1 };

/** Priorities (lower runs first): what an admin asked for before what a schedule started. */
export const PRIORITY = { requested: 1, scheduled: 10 } as const;

export function isJobKind(name: string): name is JobKind {
  return Object.hasOwn(KIND_POLICIES, name);
}

export function isQueueName(name: string): name is QueueName {
  return (QUEUE_NAMES as readonly string[]).includes(name);
}

/** The defaults with JOB_RETRY's overrides; an unknown kind there fails start-up, naming the known ones. */
export function kindPolicies(overrides: Readonly<Record<string, number[]>>): Record<JobKind, KindPolicy> {
  const policies = { ...KIND_POLICIES };
  for (const [kind, [attempts, backoffMs]] of Object.entries(overrides)) {
    if (!isJobKind(kind)) throw new Error(`JOB_RETRY names unknown job kind "${kind}"; known: ${JOB_KINDS.join(', ')}`);
    if (attempts < 1) throw new Error(`JOB_RETRY: ${kind} needs at least 1 attempt, got ${attempts}`);
    policies[kind] = { ...policies[kind], attempts, backoffMs };
  }
  return policies;
}

/** DEFAULT_CONCURRENCY with JOB_CONCURRENCY's overrides; an unknown queue fails start-up. */
export function queueConcurrency(overrides: Readonly<Record<string, number[]>>): Record<QueueName, number> {
  const concurrency = { ...DEFAULT_CONCURRENCY };
  for (const [queue, [value]] of Object.entries(overrides)) {
    if (!isQueueName(queue)) throw new Error(`JOB_CONCURRENCY names unknown queue "${queue}"; known: ${QUEUE_NAMES.join(', ')}`);
    if (value < 1) throw new Error(`JOB_CONCURRENCY: ${queue} needs at least 1, got ${value}`);
    concurrency[queue] = value;
  }
  return concurrency;
}
