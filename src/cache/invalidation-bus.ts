import { randomUUID } from 'node:crypto';
import type { Cluster } from 'ioredis';
import { isCluster, onChannelMessage, publishMessage, subscribeChannel, type RedisClient } from '../redis.js';
import type { Logger } from '../logger.js';
import type { RedisCommandGate } from './redis-store.js';

/**
 * `everything`: drop all of L1, sent when an instance missed more invalidations during a
 * Redis outage than it could remember (src/cache/missed-invalidations.ts).
 * `generation`: invalidateCache(all: true) bumped the cache generation to this number:
 * drop all of L1 and use it (src/cache/cache-generation.ts).
 */
export type BusMessage =
  { kind: 'tags'; tags: string[] } | { kind: 'everything' } | { kind: 'generation'; generation: number } | { kind: 'keys-revoked' };

/**
 * Cross-instance messages over Redis pub/sub: cache tags to drop from L1, API keys
 * revoked. Each instance ignores its own messages (it already acted on them). Knows
 * whether its subscription is live (`listening`): while it is not, messages of other
 * instances are lost, and the tiered cache must not trust its L1 as before.
 */
export class InvalidationBus {
  readonly origin = randomUUID();
  private readonly handlers = new Set<(message: BusMessage) => void>();
  private readonly listeningHandlers = new Set<(listening: boolean) => void>();
  private subscribed = false;
  private closed = false;

  constructor(
    private readonly publisher: RedisClient,
    private readonly subscriber: RedisClient,
    private readonly channel: string,
    private readonly logger: Logger,
    /** Publishes go through the cache connection's breaker: not sent while it is open, and a timeout opens it. */
    private readonly gate: RedisCommandGate | null = null,
  ) {}

  /** The subscription is live: messages of other instances reach this one. */
  get listening(): boolean {
    return this.subscribed;
  }

  async start(): Promise<void> {
    onChannelMessage(this.subscriber, (channel: string, text: string) => {
      if (channel !== this.channel) return;
      try {
        const { origin, message, probe } = JSON.parse(text) as { origin: string; message?: BusMessage; probe?: string };
        if (probe !== undefined) {
          // Our own probe came back: the (sharded) subscription is live again.
          if (origin === this.origin && probe === this.probe) this.setSubscribed(true);
          return;
        }
        if (origin === this.origin || !message) return;
        for (const handler of this.handlers) handler(message);
      } catch (error) {
        this.logger.error({ err: error, text }, 'bad message on the invalidation channel');
      }
    });
    if (isCluster(this.subscriber)) return this.startSharded(this.subscriber);
    this.subscriber.on('close', () => {
      if (this.subscribed && !this.closed)
        this.logger.warn('Redis pub/sub connection lost: invalidations of other instances do not reach this one');
      this.setSubscribed(false);
    });
    // ioredis re-subscribes by itself after a reconnection, but says nothing when that is
    // done; subscribing again (idempotent) tells us when messages flow again.
    this.subscriber.on('ready', () => {
      if (this.closed || this.subscribed) return;
      this.subscriber.subscribe(this.channel).then(
        () => this.setSubscribed(true),
        (error: unknown) => this.logger.warn({ err: error }, 'Redis pub/sub re-subscription failed; retried at the next reconnection'),
      );
    });
    await this.subscriber.subscribe(this.channel);
    this.setSubscribed(true);
  }

  /**
   * Cluster mode: SSUBSCRIBE on the master of the channel's slot (ioredis keeps that
   * connection and moves it after a failover, at its next slot-map refresh). ioredis does
   * not say when a moved subscription is live again, so a lost shard connection makes this
   * bus not listening until a probe it publishes on the channel comes back to it.
   */
  private async startSharded(subscriber: Cluster): Promise<void> {
    const lost = () => {
      if (this.closed) return;
      if (this.subscribed) this.logger.warn('Redis pub/sub shard connection lost: invalidations of other instances do not reach this one');
      this.setSubscribed(false);
      this.probeUntilListening();
    };
    // '-node': a connection of the subscriber's cluster ended (the shard subscriber's among them); '-subscriber': replaced.
    subscriber.on('-node', lost);
    subscriber.on('-subscriber', lost);
    subscriber.on('close', lost);
    await subscribeChannel(subscriber, this.channel);
    this.setSubscribed(true);
  }

  private probe: string | null = null;
  private probing: NodeJS.Timeout | null = null;

  /** Publishes a probe every 250 ms until it comes back on the subscription (setSubscribed(true)). */
  private probeUntilListening(): void {
    if (this.probing || this.closed) return;
    const tick = () => {
      if (this.closed || this.subscribed) {
        this.probing = null;
        this.probe = null;
        return;
      }
      this.probe = randomUUID();
      publishMessage(this.publisher, this.channel, JSON.stringify({ origin: this.origin, probe: this.probe })).catch(() => {});
      this.probing = setTimeout(tick, 250);
      this.probing.unref();
    };
    tick();
  }

  private setSubscribed(subscribed: boolean): void {
    if (this.closed || this.subscribed === subscribed) return;
    this.subscribed = subscribed;
    if (subscribed) this.logger.info('Redis pub/sub subscribed: invalidations of other instances reach this one');
    for (const handler of this.listeningHandlers) handler(subscribed);
  }

  onMessage(handler: (message: BusMessage) => void): void {
    this.handlers.add(handler);
  }

  /** Called with false when the subscription is lost and true once it is live again. */
  onListeningChange(handler: (listening: boolean) => void): void {
    this.listeningHandlers.add(handler);
  }

  /** Publishes; true when Redis took the message. A failure is logged with what was not said. */
  async send(message: BusMessage): Promise<boolean> {
    const text = JSON.stringify({ origin: this.origin, message });
    const publish = async () => {
      await publishMessage(this.publisher, this.channel, text);
      return true;
    };
    let sent: boolean;
    try {
      sent = this.gate ? await this.gate.attempt('publish', publish, false) : await publish();
    } catch (error) {
      this.logger.error({ err: error, kind: message.kind }, 'could not publish on the invalidation channel');
      return false;
    }
    if (!sent) this.logger.warn({ kind: message.kind }, 'Redis unreachable: message not published to other instances');
    return sent;
  }

  /** send(), for callers that only need it tried (the failure is logged there). */
  async publish(message: BusMessage): Promise<void> {
    await this.send(message);
  }

  /** Stops reporting the connection's changes (the connections are closed by their owner). */
  close(): void {
    this.closed = true;
    if (this.probing) clearTimeout(this.probing);
    this.probing = null;
  }
}
