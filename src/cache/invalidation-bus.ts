import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from '../logger.js';

export type BusMessage = { kind: 'tags'; tags: string[] } | { kind: 'keys-revoked' };

/**
 * Cross-instance messages over Redis pub/sub: cache tags to drop from L1, API keys
 * revoked. Each instance ignores its own messages (it already acted on them).
 */
export class InvalidationBus {
  readonly origin = randomUUID();
  private readonly handlers = new Set<(message: BusMessage) => void>();

  constructor(
    private readonly publisher: Redis,
    private readonly subscriber: Redis,
    private readonly channel: string,
    private readonly logger: Logger,
  ) {}

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
    await this.subscriber.subscribe(this.channel);
  }

  onMessage(handler: (message: BusMessage) => void): void {
    this.handlers.add(handler);
  }

  async publish(message: BusMessage): Promise<void> {
    try {
      await this.publisher.publish(this.channel, JSON.stringify({ origin: this.origin, message }));
    } catch (error) {
      this.logger.error({ err: error, message }, 'could not tell other instances; their L1 entries expire by TTL');
    }
  }
}
