import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
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
    private readonly publisher: Redis,
    private readonly subscriber: Redis,
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
    this.subscriber.on('message', (channel: string, text: string) => {
      if (channel !== this.channel) return;
      try {
        const { origin, message } = JSON.parse(text) as { origin: string; message: BusMessage };
        if (origin === this.origin) return;
        for (const handler of this.handlers) handler(message);
      } catch (error) {
        this.logger.error({ err: error, text }, 'bad message on the invalidation channel');
      }
    });
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
      await this.publisher.publish(this.channel, text);
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
  }
}
