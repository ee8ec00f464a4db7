import { onChannelMessage, publishMessage, subscribeChannel, type RedisClient } from '../redis.js';
import type { Logger } from '../logger.js';
import {
  statusFromJson,
  statusToJson,
  transitionFromJson,
  transitionToJson,
  type StoredStatus,
  type StoredTransition,
} from './alert-json.js';
import { AlertLease } from './alert-lease.js';
import type { AlertStatus, AlertTransition } from './alert-status.js';

/**
 * Stores the states only while the lease is still ours, in one step: a holder that paused
 * (awaiting the history) past its lease must not overwrite, nor announce over, its successor.
 * KEYS[1] lease, KEYS[2] state; ARGV holder, JSON, ttl ms. 1 = stored, 0 = not the holder.
 */
const WRITE_IF_HOLDER = `if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3]) return 1 else return 0 end`;

/**
 * The alerts' shared state in Redis:
 *   ${prefix}{alerts}:lease   the id of the one instance evaluating (SET NX PX, renewed by its holder)
 *   ${prefix}{alerts}:state   JSON statuses the holder wrote at its last evaluation (expiring), written
 *                             only while the lease is its own (one script reads the lease and writes the
 *                             state: the {alerts} hash tag keeps both in one Redis Cluster slot)
 *   ${prefix}alerts:events    pub/sub channel: each transition, published once by the holder (sharded
 *                             pub/sub on a Redis Cluster: SPUBLISH/SSUBSCRIBE, one shard carries it)
 * Commands run on the cache's fail-fast connection (a dead Redis rejects at once);
 * the channel has its own subscriber connection, which re-subscribes after reconnects.
 */
export class AlertCluster {
  readonly lease: AlertLease;
  private readonly stateKey: string;
  private readonly channel: string;

  constructor(
    private readonly redis: RedisClient,
    private readonly subscriber: RedisClient,
    prefix: string,
    private readonly instance: string,
    private readonly periodMs: number,
    private readonly logger: Logger,
  ) {
    this.lease = new AlertLease(redis, `${prefix}{alerts}:lease`, instance, 3 * periodMs);
    this.stateKey = `${prefix}{alerts}:state`;
    this.channel = `${prefix}alerts:events`;
  }

  /** Delivers each transition another instance publishes; resolves once subscribed (or logs and keeps trying on reconnects). */
  async listen(onTransition: (transition: AlertTransition) => void): Promise<void> {
    onChannelMessage(this.subscriber, (channel: string, text: string) => {
      if (channel !== this.channel) return;
      try {
        const { origin, transition } = JSON.parse(text) as { origin: string; transition: StoredTransition };
        // The publisher delivered it to its own subscribers already.
        if (origin !== this.instance) onTransition(transitionFromJson(transition));
      } catch (error) {
        this.logger.error({ err: error, text }, 'bad message on the alert events channel');
      }
    });
    await subscribeChannel(this.subscriber, this.channel);
  }

  async publish(transition: AlertTransition): Promise<void> {
    await publishMessage(this.redis, this.channel, JSON.stringify({ origin: this.instance, transition: transitionToJson(transition) }));
  }

  /**
   * Stores the statuses if this instance still holds the lease; false (nothing written) when
   * another instance holds it now. Kept well past the lease: an instance taking over after
   * the holder died continues from these states (a FIRING alert stays FIRING instead of
   * firing again). Throws on Redis errors.
   */
  async writeStatusesIfHolder(statuses: readonly AlertStatus[]): Promise<boolean> {
    const ttlMs = Math.max(30 * this.periodMs, 60_000);
    const json = JSON.stringify({ by: this.instance, statuses: statuses.map(statusToJson) });
    const stored = (await this.redis.eval(WRITE_IF_HOLDER, 2, this.lease.key, this.stateKey, this.instance, json, String(ttlMs))) as number;
    return stored === 1;
  }

  /** The statuses of the last evaluation anywhere; null when none is stored (nobody evaluated lately). */
  async readStatuses(): Promise<AlertStatus[] | null> {
    const text = await this.redis.get(this.stateKey);
    if (!text) return null;
    const { statuses } = JSON.parse(text) as { statuses: StoredStatus[] };
    return statuses.map(statusFromJson);
  }
}
