/** Jobs of one queue by state, as BullMQ's getJobCounts reports them. */
export interface QueueCounts {
  name: string;
  waiting: number;
  active: number;
  completed: number;
  failed: number;
  delayed: number;
  paused: number;
}

/**
 * What Metrics and /metrics read queue state from. The jobs part provides one as
 * `services.queues`; without it there are no queues to report. A rejection is an error
 * of the read (GraphQL field error, logged scrape failure), never an empty answer.
 */
export interface QueueCountsSource {
  counts(): Promise<QueueCounts[]>;
}

export const QUEUE_STATES = ['waiting', 'active', 'completed', 'failed', 'delayed', 'paused'] as const satisfies ReadonlyArray<
  keyof QueueCounts
>;
