import type { RedisClient } from '../redis.js';
import type { Principal } from '../auth/principal.js';
import type { RoleName } from '../config.js';
import type { Logger } from '../logger.js';
import { TOO_SLOW, withinHedge } from '../cache/hedge.js';

/** Refill-and-take of one token, atomically in Redis: [allowed (1|0), ms until a token is back]. */
const TAKE_SCRIPT = `
local rate = tonumber(ARGV[1])
local now = tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or rate
local at = tonumber(state[2]) or now
tokens = math.min(rate, tokens + (now - at) * rate / 1000)
local allowed = 0
if tokens >= 1 then tokens = tokens - 1; allowed = 1 end
redis.call('HSET', KEYS[1], 'tokens', tokens, 'at', now)
redis.call('PEXPIRE', KEYS[1], 2000)
local wait = 0
if allowed == 0 then wait = math.ceil((1 - tokens) * 1000 / rate) end
return {allowed, wait}`;

export interface RateDecision {
  allowed: boolean;
  retryAfterMs: number;
}

/**
 * Token buckets per API key, `rate` requests per second with a burst of one second's
 * worth. Shared through Redis when there is one (every instance draws from the same
 * bucket); in memory otherwise, and as the fallback while Redis fails (a dead Redis
 * never blocks requests — it only makes the limit per instance).
 */
export class RateLimiter {
  private readonly local = new Map<number, { tokens: number; at: number }>();

  constructor(
    private readonly limits: Readonly<Partial<Record<RoleName, number>>>,
    private readonly redis: RedisClient | null,
    private readonly prefix: string,
    private readonly logger: Logger,
  ) {}

  async take(principal: Principal): Promise<RateDecision> {
    const rate = this.limits[principal.role];
    if (!rate) return { allowed: true, retryAfterMs: 0 };
    if (this.redis && this.redis.status === 'ready') {
      const shared = (
        this.redis.eval(TAKE_SCRIPT, 1, `${this.prefix}rl:${principal.keyId}`, rate, Date.now()) as Promise<[number, number]>
      ).catch((error: unknown) => {
        this.logger.debug({ err: error }, 'Redis rate limit failed; using the in-process bucket');
        return null;
      });
      // A hung Redis must not hold every request for a command timeout: after the hedge the
      // in-process bucket decides (the shared bucket may still count this request).
      const answer = await withinHedge(shared);
      if (answer !== TOO_SLOW && answer !== null) return { allowed: answer[0] === 1, retryAfterMs: answer[1] };
    }
    return this.takeLocally(principal.keyId, rate);
  }

  private takeLocally(keyId: number, rate: number): RateDecision {
    const now = Date.now();
    const bucket = this.local.get(keyId) ?? { tokens: rate, at: now };
    bucket.tokens = Math.min(rate, bucket.tokens + ((now - bucket.at) * rate) / 1000);
    bucket.at = now;
    this.local.set(keyId, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { allowed: true, retryAfterMs: 0 };
    }
    return { allowed: false, retryAfterMs: Math.ceil(((1 - bucket.tokens) * 1000) / rate) };
  }
}
