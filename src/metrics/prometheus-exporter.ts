import { collectDefaultMetrics, Registry } from 'prom-client';
import type { Logger } from '../logger.js';
import { histogramSamples } from './histogram-samples.js';
import type { LatencyHistogram } from './latency-histogram.js';
import type { MetricsRegistry } from './metrics-registry.js';
import { QUEUE_STATES } from './queue-counts.js';
import { registerSnapshotMetric as add, summarySamples, type Sample } from './snapshot-metric.js';

/**
 * The Prometheus view of MetricsRegistry: every value is read from it at scrape time.
 * Names follow the conventions (`graphpulse_` prefix, `_total` counters, `_seconds`,
 * `_bytes`); labels are low-cardinality (status code, field coordinate, queue, state) —
 * never argument values or SQL. Counters restart from 0 after resetMetrics, which
 * Prometheus treats like a process restart.
 */
export function createPrometheusRegistry(
  metrics: MetricsRegistry,
  options: {
    processDefaults: boolean;
    logger: Logger;
    eventLoopLag: LatencyHistogram;
    /** Coordinates of the schema's @cached fields: analytic="true" on the resolver histogram, fixed for the process. */
    analyticFields: readonly string[];
  },
): Registry {
  const registry = new Registry();
  // From the schema, once: a label read from the cache's counters would flip from false to true at a field's first cache read.
  const analytic = new Set(options.analyticFields);
  // Node's standard process_* / nodejs_* series (CPU, fds, GC, heap spaces) besides ours.
  if (options.processDefaults) collectDefaultMetrics({ register: registry });

  add(registry, {
    name: 'graphpulse_http_requests_total',
    help: 'GraphQL HTTP requests by response status',
    type: 'counter',
    read: () => metrics.http.snapshot().statuses.map((s) => ({ labels: { status: s.status }, value: s.count })),
  });
  add(registry, {
    name: 'graphpulse_http_request_errors_total',
    help: 'GraphQL HTTP requests answered with status >= 400 or with GraphQL errors',
    type: 'counter',
    read: () => [{ value: metrics.http.snapshot().errors }],
  });
  add(registry, {
    name: 'graphpulse_http_hot_path_requests_total',
    help: 'Requests answered from stored operation bytes before Apollo',
    type: 'counter',
    read: () => [{ value: metrics.http.snapshot().hotPath }],
  });
  add(registry, {
    name: 'graphpulse_ws_slow_consumer_closes_total',
    help: 'WebSockets closed (4008) because their client read too slowly',
    type: 'counter',
    read: () => [{ value: metrics.http.snapshot().wsSlowConsumerCloses }],
  });
  add(registry, {
    name: 'graphpulse_http_request_duration_seconds',
    help: 'GraphQL HTTP request duration (HDR histogram, 3 significant digits)',
    type: 'summary',
    read: () => summarySamples(metrics.http.snapshot().latency),
  });

  add(registry, {
    name: 'graphpulse_http_request_latency_seconds',
    help: 'GraphQL HTTP request duration as buckets (the HDR histogram of graphpulse_http_request_duration_seconds)',
    type: 'histogram',
    read: () => histogramSamples(metrics.http.latency),
  });

  add(registry, {
    name: 'graphpulse_resolver_duration_seconds',
    help: 'Duration of resolvers that do work, by field coordinate',
    type: 'summary',
    read: () => metrics.resolvers.rows('COUNT_DESC').flatMap((r) => summarySamples(r.latency, { field: r.field })),
  });
  add(registry, {
    name: 'graphpulse_resolver_latency_seconds',
    help: 'Resolver duration as buckets by field coordinate; analytic="true" for @cached fields',
    type: 'histogram',
    read: () =>
      [...metrics.resolvers.timings()]
        .filter((t) => t.count > 0)
        .flatMap((t) => histogramSamples(t.latency, { field: t.field, analytic: String(analytic.has(t.field)) })),
  });
  add(registry, {
    name: 'graphpulse_resolver_errors_total',
    help: 'Resolver calls that threw, by field coordinate',
    type: 'counter',
    read: () => metrics.resolvers.rows('COUNT_DESC').map((r) => ({ labels: { field: r.field }, value: r.errors })),
  });

  const cacheField = (pick: 'hits' | 'misses' | 'staleHits' | 'errors') => (): Sample[] =>
    metrics.cache.fields().map((f) => ({ labels: { field: f.field }, value: f[pick] }));
  add(registry, {
    name: 'graphpulse_cache_hits_total',
    help: 'Fresh cache hits by @cached field (hot path included)',
    type: 'counter',
    read: cacheField('hits'),
  });
  add(registry, {
    name: 'graphpulse_cache_stale_hits_total',
    help: 'Stale (swr) cache hits by @cached field',
    type: 'counter',
    read: cacheField('staleHits'),
  });
  add(registry, {
    name: 'graphpulse_cache_misses_total',
    help: 'Cache misses by @cached field',
    type: 'counter',
    read: cacheField('misses'),
  });
  add(registry, {
    name: 'graphpulse_cache_errors_total',
    help: 'Failed background refreshes by @cached field',
    type: 'counter',
    read: cacheField('errors'),
  });
  add(registry, {
    name: 'graphpulse_cache_operation_hits_total',
    help: 'Whole operations served from stored bytes (hot path)',
    type: 'counter',
    read: () => [{ value: metrics.cache.snapshot().operationHits }],
  });
  add(registry, {
    name: 'graphpulse_cache_redis_errors_total',
    help: 'Redis cache commands that failed (served as misses)',
    type: 'counter',
    read: () => [{ value: metrics.cache.snapshot().redisErrors }],
  });
  add(registry, {
    name: 'graphpulse_cache_l1_entries',
    help: 'Entries in the in-process L1 cache',
    type: 'gauge',
    read: () => [{ value: metrics.cache.snapshot().l1Entries }],
  });
  add(registry, {
    name: 'graphpulse_cache_l1_bytes',
    help: 'Estimated bytes held by the L1 cache',
    type: 'gauge',
    read: () => [{ value: metrics.cache.snapshot().l1Bytes }],
  });
  add(registry, {
    name: 'graphpulse_cache_redis_connected',
    help: '1 when the Redis cache connection is ready',
    type: 'gauge',
    read: () => [{ value: metrics.cache.snapshot().redisConnected ? 1 : 0 }],
  });
  add(registry, {
    name: 'graphpulse_cache_degraded',
    help: '1 when serving from L1 only (Redis down or breaker open)',
    type: 'gauge',
    read: () => [{ value: metrics.cache.snapshot().degraded ? 1 : 0 }],
  });
  add(registry, {
    name: 'graphpulse_cache_breaker_open',
    help: '1 while the Redis cache breaker is open',
    type: 'gauge',
    read: () => [{ value: metrics.cache.snapshot().breakerOpen ? 1 : 0 }],
  });
  add(registry, {
    name: 'graphpulse_cache_breaker_openings_total',
    help: 'Times the Redis cache breaker opened',
    type: 'counter',
    read: () => [{ value: metrics.cache.snapshot().breakerOpenings }],
  });
  add(registry, {
    name: 'graphpulse_cache_pending_invalidation_tags',
    help: 'Tags invalidated while Redis was unreachable, waiting to be replayed',
    type: 'gauge',
    read: () => [{ value: metrics.cache.snapshot().pendingInvalidationTags }],
  });

  add(registry, {
    name: 'graphpulse_db_queries_total',
    help: 'SQL statements run through Kysely',
    type: 'counter',
    read: () => [{ value: metrics.database.snapshot().queries }],
  });
  add(registry, {
    name: 'graphpulse_db_query_errors_total',
    help: 'SQL statements that failed',
    type: 'counter',
    read: () => [{ value: metrics.database.snapshot().errors }],
  });
  add(registry, {
    name: 'graphpulse_db_slow_queries_total',
    help: 'SQL statements at or above SLOW_QUERY_MS',
    type: 'counter',
    read: () => [{ value: metrics.database.snapshot().slowQueryCount }],
  });
  add(registry, {
    name: 'graphpulse_db_query_duration_seconds',
    help: 'SQL statement duration',
    type: 'summary',
    read: () => summarySamples(metrics.database.snapshot().latency),
  });
  add(registry, {
    name: 'graphpulse_db_pool_connections',
    help: 'Postgres pool: open connections (total), idle ones, and callers waiting for one',
    type: 'gauge',
    read: () => Object.entries(metrics.database.snapshot().pool).map(([state, value]) => ({ labels: { state }, value })),
  });

  add(registry, {
    name: 'graphpulse_queue_jobs',
    help: 'Jobs per queue by state',
    type: 'gauge',
    read: async () => {
      const queues = await metrics.queues().catch((error: unknown) => {
        // The rest of the scrape is still worth serving; the failure is logged and the series are absent.
        options.logger.error({ err: error }, 'reading queue counts for /metrics failed');
        return [];
      });
      return queues.flatMap((q) => QUEUE_STATES.map((state) => ({ labels: { queue: q.name, state }, value: q[state] })));
    },
  });

  const outcomes = (pick: 'completed' | 'failed') => (): Sample[] =>
    [...metrics.jobOutcomes.totals()].map(([queue, counts]) => ({ labels: { queue }, value: counts[pick] }));
  add(registry, {
    name: 'graphpulse_jobs_completed_total',
    help: 'Jobs completed per queue since start (queue-wide, from QueueEvents; every instance counts the same jobs)',
    type: 'counter',
    read: outcomes('completed'),
  });
  add(registry, {
    name: 'graphpulse_jobs_failed_total',
    help: 'Jobs failed for good (no attempt left) per queue since start (queue-wide, from QueueEvents)',
    type: 'counter',
    read: outcomes('failed'),
  });

  add(registry, {
    name: 'graphpulse_process_resident_memory_bytes',
    help: 'Resident set size',
    type: 'gauge',
    read: () => [{ value: metrics.process.snapshot().rssBytes }],
  });
  add(registry, {
    name: 'graphpulse_process_heap_used_bytes',
    help: 'V8 heap in use',
    type: 'gauge',
    read: () => [{ value: metrics.process.snapshot().heapUsedBytes }],
  });
  add(registry, {
    name: 'graphpulse_event_loop_lag_p99_seconds',
    help: '99th percentile event-loop lag since start or reset',
    type: 'gauge',
    read: () => [{ value: metrics.process.snapshot().eventLoopLagP99Ms / 1000 }],
  });
  add(registry, {
    name: 'graphpulse_event_loop_lag_seconds',
    help: 'Event-loop delay of each 10 ms tick past its due time, as buckets (since start; take quantiles over a rate window)',
    type: 'histogram',
    read: () => histogramSamples(options.eventLoopLag),
  });
  return registry;
}
