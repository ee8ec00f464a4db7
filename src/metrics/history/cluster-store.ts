import type { RedisClient } from '../../redis.js';
import type { InstanceState } from './instance-state.js';
import type { MetricsSnapshot } from './metrics-snapshot.js';

/** How long an instance's list of snapshots outlives its last publish (the ring's span). */
export const SNAPSHOTS_TTL_MS = 3_600_000;
/** How long an instance's cumulative state outlives its last publish; readers ignore it after INSTANCE_LIVE_MS anyway. */
export const STATE_TTL_MS = 60_000;

/**
 * The cluster's metrics in Redis, under `${prefix}metrics:`:
 *   instances           sorted set: instance id → last publish (epoch ms); entries older than the live window are removed
 *   snapshots:<id>      list of JSON snapshots, newest first, trimmed to the ring's capacity, expiring after an hour
 *   state:<id>          JSON cumulative state, expiring after a minute
 * Every call runs on the cache's auto-pipelined, fail-fast connection: a dead Redis rejects at once and a
 * hung one within the command timeout; callers log and fall back to this instance.
 */
export class ClusterStore {
  private readonly base: string;

  constructor(
    private readonly redis: RedisClient,
    prefix: string,
    private readonly capacity: number,
  ) {
    this.base = `${prefix}metrics:`;
  }

  get instancesKey(): string {
    return `${this.base}instances`;
  }

  snapshotsKey(id: string): string {
    return `${this.base}snapshots:${id}`;
  }

  stateKey(id: string): string {
    return `${this.base}state:${id}`;
  }

  /** False while the connection is not ready: commands would only be refused. */
  get available(): boolean {
    return this.redis.status === 'ready';
  }

  /**
   * The snapshot appended (bounded, expiring), the state replaced, the instance seen, the
   * dead ones dropped. Separate commands rather than MULTI: the keys may live on different
   * Redis Cluster slots; on one server auto-pipelining still sends them in one write.
   */
  async publish(snapshot: MetricsSnapshot, state: InstanceState, liveMs: number): Promise<void> {
    const id = state.identity.id;
    const list = this.snapshotsKey(id);
    await Promise.all([
      this.redis.lpush(list, JSON.stringify(snapshot)),
      this.redis.ltrim(list, 0, this.capacity - 1),
      this.redis.pexpire(list, SNAPSHOTS_TTL_MS),
      this.redis.set(this.stateKey(id), JSON.stringify(state), 'PX', STATE_TTL_MS),
      this.redis.zadd(this.instancesKey, state.publishedAt, id),
      this.redis.zremrangebyscore(this.instancesKey, '-inf', `(${state.publishedAt - liveMs}`),
    ]);
  }

  /** Ids of the instances that published within `liveMs` of `now`, with their last publish. */
  async liveInstances(now: number, liveMs: number): Promise<Map<string, number>> {
    const flat = await this.redis.zrangebyscore(this.instancesKey, now - liveMs, '+inf', 'WITHSCORES');
    const live = new Map<string, number>();
    for (let i = 0; i < flat.length; i += 2) live.set(flat[i], Number(flat[i + 1]));
    return live;
  }

  /** The states of these instances; an expired one is left out. One GET each (not MGET): cluster slots. */
  async states(ids: readonly string[]): Promise<InstanceState[]> {
    const values = await Promise.all(ids.map((id) => this.redis.get(this.stateKey(id))));
    return values.filter((v): v is string => v !== null).map((v) => JSON.parse(v) as InstanceState);
  }

  /** Up to `count` newest snapshots of each instance. */
  async snapshots(ids: readonly string[], count: number): Promise<MetricsSnapshot[]> {
    const lists = await Promise.all(ids.map((id) => this.redis.lrange(this.snapshotsKey(id), 0, count - 1)));
    return lists.flat().map((item) => JSON.parse(item) as MetricsSnapshot);
  }

  /** A stopping instance leaves at once instead of after the live window. */
  async withdraw(id: string): Promise<void> {
    await Promise.all([this.redis.zrem(this.instancesKey, id), this.redis.del(this.stateKey(id))]);
  }
}
