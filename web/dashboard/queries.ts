/**
 * Every operation the dashboard sends, with the shape of its answer. Each panel has its
 * own query, so a field one server version lacks breaks one panel, not the page.
 */

export type Scope = 'INSTANCE' | 'CLUSTER';

/** What the selector chose: the cluster, or one instance by id (metrics(instance:)), with its name for notes. */
export interface View {
  scope: Scope;
  instance: string | null;
  label: string;
}
export const CLUSTER_VIEW: View = { scope: 'CLUSTER', instance: null, label: 'cluster' };

/** The variables of the per-view queries (OVERVIEW, HISTORY, CACHE). */
export const viewVariables = (view: View): Record<string, unknown> => ({ scope: view.scope, instance: view.instance });

export interface Latency {
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
}

export const KEY_CHECK = `query DashboardKeyCheck { metrics { uptimeSeconds } }`;

export const OVERVIEW = `query DashboardOverview($scope: MetricsScope!, $instance: ID) {
  metrics(scope: $scope, instance: $instance) {
    scope since uptimeSeconds
    http { requests errors latency { p50Ms p95Ms p99Ms } }
    cache { hitRate }
  }
}`;
export interface OverviewData {
  metrics: {
    scope: Scope;
    since: string;
    uptimeSeconds: number;
    http: { requests: number; errors: number; latency: Latency };
    cache: { hitRate: number };
  };
}

export const HISTORY = `query DashboardHistory($scope: MetricsScope!, $instance: ID) {
  metrics(scope: $scope, instance: $instance) {
    history(minutes: 60, stepSeconds: 10) {
      at instances requests requestsPerSecond errorRate latency { p50Ms p95Ms p99Ms } analyticsLatency { p50Ms p95Ms p99Ms }
      cacheHitRate poolTotal poolIdle poolWaiting poolUtilizationPercent eventLoopLagP99Ms rssBytes l1Bytes jobsCompleted jobsFailed
    }
  }
}`;
export interface HistoryPoint {
  at: string;
  instances: number;
  requests: number;
  requestsPerSecond: number;
  errorRate: number;
  latency: Latency;
  analyticsLatency: Latency;
  cacheHitRate: number | null;
  poolTotal: number;
  poolIdle: number;
  poolWaiting: number;
  poolUtilizationPercent: number;
  eventLoopLagP99Ms: number;
  rssBytes: number;
  l1Bytes: number;
  jobsCompleted: number;
  jobsFailed: number;
}
export interface HistoryData {
  metrics: { history: HistoryPoint[] };
}

/** Always the cluster's list: every live instance, the answering one marked `self`. */
export const INSTANCES = `query DashboardInstances {
  metrics(scope: CLUSTER) { instances { id host pid version startedAt lastSeenAt self requestsPerSecond p99Ms } }
}`;
export interface Instance {
  id: string;
  host: string;
  pid: number;
  version: string;
  startedAt: string;
  lastSeenAt: string;
  self: boolean;
  requestsPerSecond: number;
  p99Ms: number;
}
export interface InstancesData {
  metrics: { instances: Instance[] };
}

export type AlertState = 'INACTIVE' | 'PENDING' | 'FIRING' | 'RESOLVED';
export const ALERTS = `query DashboardAlerts {
  metrics { alerts { name metric op threshold forSeconds state value since lastFiredAt summary } }
}`;
export interface Alert {
  name: string;
  metric: string;
  op: string;
  threshold: number;
  forSeconds: number;
  state: AlertState;
  value: number | null;
  since: string | null;
  lastFiredAt: string | null;
  summary: string;
}
export interface AlertsData {
  metrics: { alerts: Alert[] };
}

export const ALERT_EVENTS = `subscription DashboardAlertEvents {
  alertEvents { name metric op threshold state previousState value at summary }
}`;
export interface AlertEvent {
  name: string;
  metric: string;
  op: string;
  threshold: number;
  state: AlertState;
  previousState: AlertState;
  value: number | null;
  at: string;
  summary: string;
}

export const CACHE = `query DashboardCache($scope: MetricsScope!, $instance: ID) {
  metrics(scope: $scope, instance: $instance) { cache { hitRate hits staleHits misses l1Bytes l1Entries degraded breakerOpen redisConnected
    fields { field hits staleHits misses hitRate } } }
}`;
export interface CacheField {
  field: string;
  hits: number;
  staleHits: number;
  misses: number;
  hitRate: number;
}
export interface CacheData {
  metrics: {
    cache: {
      hitRate: number;
      hits: number;
      staleHits: number;
      misses: number;
      l1Bytes: number;
      l1Entries: number;
      degraded: boolean;
      breakerOpen: boolean;
      redisConnected: boolean;
      fields: CacheField[];
    };
  };
}

export const REDIS = `query DashboardRedis {
  metrics { cache { generation breakerOpen redisConnected
    redis { version usedMemoryBytes maxMemoryBytes keys connectedClients evictedKeys keyspaceHits keyspaceMisses hitRatio } } }
}`;
export interface RedisStats {
  version: string;
  usedMemoryBytes: number;
  maxMemoryBytes: number;
  keys: number;
  connectedClients: number;
  evictedKeys: number;
  keyspaceHits: number;
  keyspaceMisses: number;
  hitRatio: number | null;
}
export interface RedisData {
  metrics: { cache: { generation: number; breakerOpen: boolean; redisConnected: boolean; redis: RedisStats | null } };
}

export const SLOW_QUERIES = `query DashboardSlowQueries {
  metrics { database { slowQueryThresholdMs slowQueryCount slowQueries(limit: 10) { sql count latency { p50Ms p95Ms p99Ms } } } }
}`;
export interface SlowQuery {
  sql: string;
  count: number;
  latency: Latency;
}
export interface SlowQueriesData {
  metrics: { database: { slowQueryThresholdMs: number; slowQueryCount: number; slowQueries: SlowQuery[] } };
}

/** Plans are computed on demand: one statement by its normalized text, so exactly one EXPLAIN runs. */
export const SLOW_QUERY_PLAN = `query DashboardSlowQueryPlan($sql: String!) {
  metrics { database { slowQuery(sql: $sql) { sql sampleParameters plan { text analyzed planningMs executionMs } } } }
}`;
export interface QueryPlan {
  text: string;
  analyzed: boolean;
  planningMs: number | null;
  executionMs: number | null;
}
export interface SlowQueryPlanData {
  metrics: { database: { slowQuery: { sql: string; sampleParameters: string[]; plan: QueryPlan } | null } };
}

export const QUEUES = `query DashboardQueues {
  metrics { since queues { name waiting active delayed failed completed paused
    completedInWindow failedInWindow throughputPerMinute successRate } }
}`;
export interface QueueRow {
  name: string;
  waiting: number;
  active: number;
  delayed: number;
  failed: number;
  completed: number;
  paused: number;
  completedInWindow: number;
  failedInWindow: number;
  throughputPerMinute: number;
  successRate: number | null;
}
export interface QueuesData {
  metrics: { since: string; queues: QueueRow[] };
}

export const FAILED_JOBS = `query DashboardFailedJobs {
  jobs(state: FAILED, first: 20) { id queue kind attempts maxAttempts failedReason finishedAt createdAt }
}`;
export interface FailedJob {
  id: string;
  queue: string;
  kind: string;
  attempts: number;
  maxAttempts: number;
  failedReason: string | null;
  finishedAt: string | null;
  createdAt: string;
}
export interface FailedJobsData {
  jobs: FailedJob[];
}

/** No arguments: the events of every queue (the subscription stays open). */
export const JOB_EVENTS = `subscription DashboardJobEvents {
  jobEvents { jobId queue kind type attempt at failedReason delayMs }
}`;
export interface JobEvent {
  jobId: string;
  queue: string;
  kind: string;
  type: 'ACTIVE' | 'COMPLETED' | 'FAILED' | 'PROGRESS' | 'RETRYING' | 'STALLED' | 'WAITING';
  attempt: number;
  at: string;
  failedReason: string | null;
  delayMs: number | null;
}

export const RETRY_JOB = `mutation DashboardRetryJob($id: ID!) { retryJob(id: $id) { id state } }`;
export const REMOVE_JOB = `mutation DashboardRemoveJob($id: ID!) { removeJob(id: $id) }`;
export const RETRY_FAILED_JOBS = `mutation DashboardRetryFailedJobs { retryFailedJobs }`;
export const INVALIDATE_TAGS = `mutation DashboardInvalidateTags($tags: [String!]!) { invalidateCache(tags: $tags) }`;
export const INVALIDATE_FIELDS = `mutation DashboardInvalidateFields($fields: [String!]!) { invalidateCache(fields: $fields) }`;
export const CLEAR_CACHE = `mutation DashboardClearCache { invalidateCache(all: true) }`;
export const WARM_CACHE = `mutation DashboardWarmCache { warmCache { id } }`;
export const REFRESH_AGGREGATES = `mutation DashboardRefreshAggregates { refreshAggregates { id } }`;
