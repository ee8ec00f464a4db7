import type { Job } from 'bullmq';
import type { GraphQLSchema } from 'graphql';
import type { Services } from '../services.js';
import type { JobDataByKind, JobKind } from './job-kinds.js';
import type { JobQueues } from './job-queues.js';

/** What a processor may use: the process's services, the executable schema (cache warming) and the producers (follow-up jobs). */
export interface JobContext {
  services: Services;
  schema: GraphQLSchema;
  queues: JobQueues;
}

/**
 * A processor for one kind. Processors are idempotent: a job taken up again after its
 * worker died (stalled) or after a failure must leave the same effect as one run.
 */
export type KindProcessor<K extends JobKind> = (job: Job<JobDataByKind[K], unknown, K>, context: JobContext) => Promise<unknown>;

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
