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

/** A queue as Metrics.queues answers it: live counts by state, and the jobs that finished in the metrics window. */
export interface QueueMetricsData extends QueueCounts {
  completedInWindow: number;
  failedInWindow: number;
  /** (completedInWindow + failedInWindow) per minute of the window (a window under a minute counts as one). */
  throughputPerMinute: number;
  /** completedInWindow / (completedInWindow + failedInWindow); null when none finished. */
  successRate: number | null;
}

/**
 * A window shorter than a minute still divides by a minute: in the first minute the rate
 * is the count so far, not a few seconds extrapolated (3 jobs in 2 s is not 90/min).
 */
const SHORTEST_WINDOW_MS = 60_000;

/** `counts` with the outcomes of its queue since `since` (the start of the metrics window). */
export function withOutcomes(
  counts: QueueCounts,
  inWindow: { completed: number; failed: number },
  since: Date,
  now = Date.now(),
): QueueMetricsData {
  const finished = inWindow.completed + inWindow.failed;
  const minutes = Math.max(SHORTEST_WINDOW_MS, now - since.getTime()) / 60_000;
  return {
    ...counts,
    completedInWindow: inWindow.completed,
    failedInWindow: inWindow.failed,
    throughputPerMinute: finished / minutes,
    successRate: finished === 0 ? null : inWindow.completed / finished,
  };
}
