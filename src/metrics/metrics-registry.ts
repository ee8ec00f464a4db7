import type { TieredCache } from '../cache/tiered-cache.js';
import type { Database } from '../db/database.js';
import type { ExecutionStats } from '../execution/compiled-executor.js';
import type { Logger } from '../logger.js';
import { CacheReader } from './cache-reader.js';
import { DatabaseRecorder } from './database-recorder.js';
import { EventLoopLagSampler } from './event-loop-lag-sampler.js';
import { HttpRecorder } from './http-recorder.js';
import { ProcessMonitor } from './process-monitor.js';
import { JobOutcomes } from './job-outcomes.js';
import { withOutcomes, type QueueCountsSource, type QueueMetricsData } from './queue-counts.js';
import { ResolverRecorder } from './resolver-recorder.js';

export interface MetricsRegistryOptions {
  database: Database;
  cache: TieredCache;
  /** Statements at least this slow are listed in slowQueries and logged as warnings (ms). */
  slowQueryMs: number;
  logger: Logger;
  /** Read at each use: the jobs part may provide its source after the registry exists. */
  queues: () => QueueCountsSource | undefined;
  /** Live counters of compiled execution; null when EXECUTOR=graphql-js. */
  execution: ExecutionStats | null;
}

/**
 * The one registry behind both the GraphQL `Metrics` type and `/metrics`: each part is
 * fed by a small plugin (route wrapper, Apollo plugin, resolver wrapper, Kysely log
 * hook) or read live (pool, cache counters, queues, process). Nothing here is counted
 * twice, so both views always agree.
 */
export class MetricsRegistry {
  /** When this server started; resetMetrics does not move it. */
  readonly startedAt = new Date();
  /** Start of the counting window: startedAt, or the last resetMetrics. */
  since = this.startedAt;
  readonly http = new HttpRecorder();
  readonly resolvers = new ResolverRecorder();
  readonly database: DatabaseRecorder;
  readonly cache: CacheReader;
  readonly process = new ProcessMonitor();
  /** The one event-loop lag timer: the /metrics histogram and the history's per-interval p99 (started by their users). */
  readonly eventLoop = new EventLoopLagSampler();
  /** Jobs finished per queue, from this process's QueueEvents (app.ts connects them). */
  readonly jobOutcomes = new JobOutcomes();
  private readonly queueSource: () => QueueCountsSource | undefined;
  private readonly executionStats: ExecutionStats | null;

  constructor(options: MetricsRegistryOptions) {
    this.executionStats = options.execution;
    this.database = new DatabaseRecorder(options.database.pool, options.slowQueryMs, options.logger);
    this.cache = new CacheReader(options.cache);
    this.queueSource = options.queues;
  }

  uptimeSeconds(): number {
    return (Date.now() - this.startedAt.getTime()) / 1000;
  }

  /** Compiled-execution counters since start (not reset: they describe the process's documents). */
  execution(): { executor: string; compiledOperations: number; fallbackOperations: number; fallbackExecutions: number } {
    const stats = this.executionStats;
    if (!stats) return { executor: 'graphql-js', compiledOperations: 0, fallbackOperations: 0, fallbackExecutions: 0 };
    return {
      executor: 'jit',
      compiledOperations: stats.compiled,
      fallbackOperations: stats.fallbacks,
      fallbackExecutions: stats.fallbackExecutions,
    };
  }

  /** Counts per queue with the jobs finished in the window; [] when no queue source is wired. */
  async queues(): Promise<QueueMetricsData[]> {
    const source = this.queueSource();
    if (!source) return [];
    return (await source.counts()).map((counts) => withOutcomes(counts, this.jobOutcomes.inWindow(counts.name), this.since));
  }

  /** Clears every number (resetMetrics) and starts a new counting window. */
  reset(): void {
    this.since = new Date();
    this.http.reset();
    this.resolvers.reset();
    this.database.reset();
    this.cache.reset();
    this.process.reset();
    this.jobOutcomes.resetWindow();
  }
}
