import { IntervalLatency } from './history/interval-latency.js';
import { LatencyHistogram, type LatencySummaryData } from './latency-histogram.js';

export interface HttpSnapshot {
  requests: number;
  /** Responses with status >= 400, or with GraphQL errors under a lower status. */
  errors: number;
  /** Requests the hot path answered from stored bytes (Apollo never saw them). */
  hotPath: number;
  latency: LatencySummaryData;
  statuses: Array<{ status: number; count: number }>;
  /** WebSockets on /graphql closed as slow consumers (4008): too many bytes unsent, a ping unanswered, or too many events queued. */
  wsSlowConsumerCloses: number;
}

/** Every POST/GET /graphql request, whoever answered it (hot path, Apollo, or a refusal before either). */
export class HttpRecorder {
  private requests = 0;
  private errors = 0;
  private hotPath = 0;
  private wsSlowConsumerCloses = 0;
  private readonly statuses = new Map<number, number>();
  readonly latency = new LatencyHistogram();
  /** This sampling interval's latencies, taken by the history sampler (metrics/history); resetMetrics leaves it alone. */
  readonly interval = new IntervalLatency();

  /** A request ended: called once per request by the route wrapper. */
  request(status: number, durationMs: number): void {
    this.requests += 1;
    if (status >= 400) this.errors += 1;
    this.statuses.set(status, (this.statuses.get(status) ?? 0) + 1);
    this.latency.record(durationMs);
    this.interval.record(durationMs);
  }

  /** Apollo answered with GraphQL errors under a status < 400 (a field error): the status alone does not say so. */
  erroredBelow400(): void {
    this.errors += 1;
  }

  servedByHotPath(): void {
    this.hotPath += 1;
  }

  /** graphql-ws closed a socket of /graphql because its client did not read fast enough. */
  wsSlowConsumerClosed(): void {
    this.wsSlowConsumerCloses += 1;
  }

  snapshot(): HttpSnapshot {
    return {
      requests: this.requests,
      errors: this.errors,
      hotPath: this.hotPath,
      latency: this.latency.summary(),
      statuses: [...this.statuses].map(([status, count]) => ({ status, count })).sort((a, b) => a.status - b.status),
      wsSlowConsumerCloses: this.wsSlowConsumerCloses,
    };
  }

  reset(): void {
    this.requests = 0;
    this.errors = 0;
    this.hotPath = 0;
    this.wsSlowConsumerCloses = 0;
    this.statuses.clear();
    this.latency.reset();
  }
}
