import type { Redis } from 'ioredis';
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
 * The alerts' shared state in Redis, under `${prefix}alerts:`:
 *   lease    the id of the one instance evaluating (SET NX PX, renewed by its holder)
 *   state    JSON statuses the holder wrote at its last evaluation (expiring)
 *   events   pub/sub channel: each transition, published once by the holder
 * Commands run on the cache's fail-fast connection (a dead Redis rejects at once);
 * the channel has its own subscriber connection, which re-subscribes after reconnects.
 */
export class AlertCluster {
  readonly lease: AlertLease;
  private readonly stateKey: string;
  private readonly channel: string;

  constructor(
    private readonly redis: Redis,
    private readonly subscriber: Redis,
    prefix: string,
    private readonly instance: string,
    private readonly periodMs: number,
    private readonly logger: Logger,
  ) {
    this.lease = new AlertLease(redis, `${prefix}alerts:lease`, instance, 3 * periodMs);
    this.stateKey = `${prefix}alerts:state`;
    this.channel = `${prefix}alerts:events`;
  }

  /** Delivers each transition another instance publishes; resolves once subscribed (or logs and keeps trying on reconnects). */
  async listen(onTransition: (transition: AlertTransition) => void): Promise<void> {
    this.subscriber.on('message', (channel: string, text: string) => {
      if (channel !== this.channel) return;
      try {
        const { origin, transition } = JSON.parse(text) as { origin: string; transition: StoredTransition };
        // The publisher delivered it to its own subscribers already.
        if (origin !== this.instance) onTransition(transitionFromJson(transition));
      } catch (error) {
        this.logger.error({ err: error, text }, 'bad message on the alert events channel');
      }
    });
    await this.subscriber.subscribe(this.channel);
  }

  async publish(transition: AlertTransition): Promise<void> {
    await this.redis.publish(this.channel, JSON.stringify({ origin: this.instance, transition: transitionToJson(transition) }));
  }

  /**
   * Kept well past the lease: an instance taking over after the holder died continues
   * from these states (a FIRING alert stays FIRING instead of firing again).
   */
  async writeStatuses(statuses: readonly AlertStatus[]): Promise<void> {
    const ttlMs = Math.max(30 * this.periodMs, 60_000);
    await this.redis.set(this.stateKey, JSON.stringify({ by: this.instance, statuses: statuses.map(statusToJson) }), 'PX', ttlMs);
  }

  /** The statuses of the last evaluation anywhere; null when none is stored (nobody evaluated lately). */
  async readStatuses(): Promise<AlertStatus[] | null> {
    const text = await this.redis.get(this.stateKey);
    if (!text) return null;
    const { statuses } = JSON.parse(text) as { statuses: StoredStatus[] };
    return statuses.map(statusFromJson);
  }
}
