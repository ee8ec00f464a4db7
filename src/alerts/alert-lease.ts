import type { RedisClient } from '../redis.js';

/** Extends the lease only while it is still ours: a holder that paused past its expiry must not take it back from a successor. */
const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;

/**
 * One holder at a time across the cluster: `SET key <holder> NX PX ttl`, renewed by its
 * holder (compare-and-set), taken by another instance once it expires unrenewed.
 */
export class AlertLease {
  constructor(
    private readonly redis: RedisClient,
    readonly key: string,
    private readonly holder: string,
    private readonly ttlMs: number,
  ) {}

  /** Renews the lease if this instance holds it, else takes it if free; true when this instance holds it now. Throws on Redis errors. */
  async hold(): Promise<boolean> {
    const renewed = (await this.redis.eval(RENEW, 1, this.key, this.holder, String(this.ttlMs))) as number;
    if (renewed === 1) return true;
    return (await this.redis.set(this.key, this.holder, 'PX', this.ttlMs, 'NX')) === 'OK';
  }

  /** Gives the lease up (if still ours) so another instance takes over at its next evaluation, not after the expiry. */
  async release(): Promise<void> {
    await this.redis.eval(RELEASE, 1, this.key, this.holder);
  }
}
