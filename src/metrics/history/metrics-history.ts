import type { RedisClient } from '../../redis.js';
import type { TieredCache } from '../../cache/tiered-cache.js';
import type { Logger } from '../../logger.js';
import { ThrottledWarn } from '../../logger-throttle.js';
import { BadUserInputError, ServiceUnavailableError } from '../../errors.js';
import { LatencyHistogram } from '../latency-histogram.js';
import type { MetricsRegistry } from '../metrics-registry.js';
import { ClusterStore } from './cluster-store.js';
import { checkHistoryWindow, HISTORY_MAX_MINUTES, SAMPLE_SECONDS } from './history-window.js';
import { mergeIntoPoints, PointCache, type HistoryPoint } from './history-points.js';
import { createInstanceIdentity, type InstanceIdentity } from './instance-identity.js';
import { buildInstanceState, type InstanceState, type RecentActivity } from './instance-state.js';
import type { MetricsSnapshot } from './metrics-snapshot.js';
import { SnapshotRing } from './snapshot-ring.js';
import { SnapshotSampler } from './snapshot-sampler.js';

export type MetricsScopeName = 'INSTANCE' | 'CLUSTER';

/** An instance that has not published for this long is no longer part of the cluster view. */
export const INSTANCE_LIVE_MS = 30_000;
/** Snapshots kept: one hour of 10 s intervals. */
export const HISTORY_CAPACITY = (HISTORY_MAX_MINUTES * 60) / SAMPLE_SECONDS;
/** Metrics.instances' requestsPerSecond and p99 are over this much recent history. */
const RECENT_MS = 60_000;
/** At most one warning of each kind per this long for Redis failures (sampling and dashboards run every 10 s). */
const WARN_EVERY_MS = 60_000;

export interface MetricsHistoryOptions {
  registry: MetricsRegistry;
  cache: TieredCache;
  /** The cache's fail-fast connection; null without REDIS_URL (history stays in this process). */
  redis: RedisClient | null;
  /** REDIS_PREFIX */
  prefix: string;
  logger: Logger;
  analyticFields: readonly string[];
  /** Default INSTANCE_LIVE_MS. */
  liveMs?: number;
}

/** Instance row of Metrics.instances. */
export interface InstanceSummary extends RecentActivity {
  id: string;
  host: string;
  pid: number;
  version: string;
  startedAt: Date;
  lastSeenAt: Date;
  self: boolean;
}

/** What the cluster view is built from: this instance's live state first, then every other live instance's last publish. */
export interface ClusterStates {
  states: InstanceState[];
  lastSeen: Map<string, number>;
  /** Redis could not be read: the view holds this instance only. */
  degraded: boolean;
}

/** A time series with whether it is complete: degraded when Redis could not be read and a CLUSTER series holds this instance only. */
export interface HistorySeries {
  points: HistoryPoint[];
  degraded: boolean;
}

/**
 * Metric history and the cluster view. Every 10 s (on wall-clock multiples, so the
 * instances' snapshots line up) it takes a snapshot of this instance into a ring of 360
 * (one hour) and, with Redis, publishes it together with the instance's cumulative state.
 * A Redis failure never fails a read: it is logged and the answer holds this instance only.
 */
export class MetricsHistory {
  readonly identity: InstanceIdentity;
  /** Instances seen longer ago than this are left out of the cluster view (INSTANCE_LIVE_MS; tests shorten it). */
  liveMs: number;
  private readonly ring = new SnapshotRing<MetricsSnapshot>(HISTORY_CAPACITY);
  private readonly pointCache = new PointCache();
  private readonly sampler: SnapshotSampler;
  private readonly store: ClusterStore | null;
  private timer: NodeJS.Timeout | null = null;
  /**
   * Replaced at every start() and stop(): a tick whose sampleNow() was in flight across a
   * stop() (and maybe a new start()) sees a different token and does not schedule another,
   * so there is never a second timer chain.
   */
  private run: object | null = null;
  private readonly warnings: ThrottledWarn;

  constructor(private readonly options: MetricsHistoryOptions) {
    this.liveMs = options.liveMs ?? INSTANCE_LIVE_MS;
    this.identity = createInstanceIdentity(options.registry.startedAt);
    this.sampler = new SnapshotSampler(this.identity.id, options, this.now());
    this.store = options.redis ? new ClusterStore(options.redis, options.prefix, HISTORY_CAPACITY) : null;
    this.warnings = new ThrottledWarn(options.logger, WARN_EVERY_MS, { instance: this.identity.id }, () => this.now());
  }

  start(): void {
    if (this.run) return;
    this.run = {};
    this.sampler.start();
    this.schedule(this.run);
  }

  /** Stops sampling; the instance drops out of the cluster view once its last publish is older than the live window. */
  stop(): void {
    if (!this.run) return;
    this.run = null;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.sampler.stop();
  }

  /** Stops sampling and leaves the cluster view at once (app shutdown). */
  async close(): Promise<void> {
    this.stop();
    if (!this.store?.available) return;
    await this.store.withdraw(this.identity.id).catch((error: unknown) => this.warn(error, 'leaving the metrics cluster view failed'));
  }

  /** Takes a snapshot now (the timer's work; public for tests) and publishes it; a failed publish is logged, not thrown. */
  async sampleNow(): Promise<MetricsSnapshot> {
    const snapshot = this.sampler.take(this.now());
    this.ring.push(snapshot);
    if (this.store) {
      if (!this.store.available) this.warn(new Error('Redis connection not ready'), 'metrics snapshot not published');
      else {
        await this.store
          .publish(snapshot, this.selfState(), this.liveMs)
          .catch((error: unknown) => this.warn(error, 'metrics snapshot not published'));
      }
    }
    return snapshot;
  }

  /** Snapshots kept in this process, oldest first. */
  snapshots(): MetricsSnapshot[] {
    return this.ring.toArray();
  }

  /** Metrics.history: the last `minutes`, one point per `stepSeconds` step holding a snapshot, oldest first. */
  async points(scope: MetricsScopeName, minutes: number, stepSeconds: number): Promise<HistoryPoint[]> {
    return (await this.series(scope, minutes, stepSeconds)).points;
  }

  /**
   * The points with whether they are complete: under CLUSTER, degraded when Redis could not
   * be read and the points hold this instance only (alerts must not read that as the cluster).
   */
  async series(scope: MetricsScopeName, minutes: number, stepSeconds: number): Promise<HistorySeries> {
    checkHistoryWindow(minutes, stepSeconds);
    const count = (minutes * 60) / SAMPLE_SECONDS + 1;
    let snapshots = this.ring.newest(count);
    let degraded = false;
    if (scope === 'CLUSTER' && this.store) {
      const others = await this.readRedis(async (store) => {
        const live = await store.liveInstances(this.now(), this.liveMs);
        live.delete(this.identity.id);
        return store.snapshots([...live.keys()], count);
      });
      if (others) snapshots = snapshots.concat(others);
      degraded = others === null;
    }
    return { points: this.toPoints(snapshots, minutes, stepSeconds), degraded };
  }

  /** Metrics(instance:).history: another live instance's points, from the snapshots it published. */
  async instancePoints(id: string, minutes: number, stepSeconds: number): Promise<HistoryPoint[]> {
    checkHistoryWindow(minutes, stepSeconds);
    if (id === this.identity.id) return this.points('INSTANCE', minutes, stepSeconds);
    const count = (minutes * 60) / SAMPLE_SECONDS + 1;
    const snapshots = await this.readInstance((store) => store.snapshots([id], count));
    return this.toPoints(snapshots, minutes, stepSeconds);
  }

  /**
   * Checks that `id` names a live instance (Metrics(instance:)): this one always; another
   * only with Redis, when it published within the live window. BAD_USER_INPUT otherwise.
   */
  async checkInstance(id: string): Promise<void> {
    if (id === this.identity.id) return;
    if (!this.store) throw new BadUserInputError(`Unknown instance ${id}: without Redis only this instance (${this.identity.id}) answers`);
    const live = await this.readInstance((store) => store.liveInstances(this.now(), this.liveMs));
    if (!live.has(id)) throw new BadUserInputError(`Unknown or dead instance ${id}: see Metrics.instances under scope CLUSTER`);
  }

  /** The states an instance view merges: this instance's live state, or another's last published one. */
  async instanceStates(id: string): Promise<ClusterStates> {
    if (id === this.identity.id) return this.states('INSTANCE');
    const [states, live] = await this.readInstance((store) =>
      Promise.all([store.states([id]), store.liveInstances(this.now(), this.liveMs)]),
    );
    if (states.length === 0) throw new BadUserInputError(`Unknown or dead instance ${id}: see Metrics.instances under scope CLUSTER`);
    return { states, lastSeen: new Map([[id, live.get(id) ?? states[0].publishedAt]]), degraded: false };
  }

  private toPoints(snapshots: MetricsSnapshot[], minutes: number, stepSeconds: number): HistoryPoint[] {
    const since = this.now() - minutes * 60_000;
    return mergeIntoPoints(
      snapshots.filter((s) => s.to > since),
      stepSeconds,
      this.pointCache,
    );
  }

  /** Reads another instance's data: an unreachable Redis is an error here (there is no partial answer for one remote instance). */
  private async readInstance<T>(read: (store: ClusterStore) => Promise<T>): Promise<T> {
    const store = this.store;
    if (!store) throw new BadUserInputError('Without Redis only this instance answers');
    if (!store.available) throw new ServiceUnavailableError('Redis is not reachable: other instances cannot be read');
    try {
      return await read(store);
    } catch (error) {
      this.warn(error, 'another instance’s metrics not readable from Redis');
      throw new ServiceUnavailableError('Redis could not be read: other instances cannot be answered for now');
    }
  }

  /** The states the cluster view merges (INSTANCE scope: this instance's alone). */
  async states(scope: MetricsScopeName): Promise<ClusterStates> {
    const self = this.selfState();
    const lastSeen = new Map([[self.identity.id, this.now()]]);
    if (scope === 'INSTANCE' || !this.store) return { states: [self], lastSeen, degraded: false };
    const others = await this.readRedis(async (store) => {
      const live = await store.liveInstances(this.now(), this.liveMs);
      live.delete(self.identity.id);
      for (const [id, seen] of live) lastSeen.set(id, seen);
      return store.states([...live.keys()]);
    });
    return { states: others ? [self, ...others] : [self], lastSeen, degraded: others === null };
  }

  /** Metrics.instances: this instance first, then the others by id. */
  static summaries(cluster: ClusterStates, selfId: string): InstanceSummary[] {
    return cluster.states
      .map((s) => ({
        ...s.identity,
        startedAt: new Date(s.identity.startedAt),
        lastSeenAt: new Date(cluster.lastSeen.get(s.identity.id) ?? s.publishedAt),
        self: s.identity.id === selfId,
        ...s.recent,
      }))
      .sort((a, b) => Number(b.self) - Number(a.self) || a.id.localeCompare(b.id));
  }

  /** Read at each use (never a captured Date.now), so a test's fake clock applies. */
  private now(): number {
    return Date.now();
  }

  private selfState(): InstanceState {
    return buildInstanceState(this.options.registry, this.identity, this.recent(), this.now());
  }

  /** Rate and HTTP p99 over the snapshots of the last minute. */
  private recent(): RecentActivity {
    const since = this.now() - RECENT_MS;
    const latency = new LatencyHistogram();
    let requests = 0;
    let coveredMs = 0;
    for (const s of this.ring.newest(RECENT_MS / (SAMPLE_SECONDS * 1000) + 1)) {
      if (s.to <= since) continue;
      requests += s.requests;
      coveredMs += s.to - s.from;
      latency.addEncoded(s.latency);
    }
    return { requestsPerSecond: coveredMs > 0 ? (requests * 1000) / coveredMs : 0, p99Ms: latency.percentileMs(99) };
  }

  /** Runs a read on Redis; null (after a warning) when Redis is not there or the read fails. */
  private async readRedis<T>(read: (store: ClusterStore) => Promise<T>): Promise<T | null> {
    const store = this.store;
    if (!store) return null;
    if (!store.available) {
      this.warn(new Error('Redis connection not ready'), 'cluster metrics unavailable: answering with this instance only');
      return null;
    }
    try {
      return await read(store);
    } catch (error) {
      this.warn(error, 'cluster metrics unavailable: answering with this instance only');
      return null;
    }
  }

  private warn(error: unknown, message: string): void {
    this.warnings.warn(error, message);
  }

  /** The next tick at the next wall-clock multiple of 10 s (the one after, if that is under a second away). */
  private schedule(run: object): void {
    const periodMs = SAMPLE_SECONDS * 1000;
    const untilBoundary = periodMs - (Date.now() % periodMs);
    this.timer = setTimeout(
      () => {
        this.sampleNow()
          .catch((error: unknown) => this.options.logger.error({ err: error }, 'metrics snapshot failed'))
          // Only the run that scheduled this tick continues it: stopped (or stopped and started again) meanwhile, it ends here.
          .finally(() => this.run === run && this.schedule(run));
      },
      untilBoundary < 1_000 ? untilBoundary + periodMs : untilBoundary,
    );
    this.timer.unref();
  }
}
