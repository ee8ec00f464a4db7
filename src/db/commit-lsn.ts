import type { RedisClient } from '../redis.js';
import type { Logger } from '../logger.js';

/**
 * Postgres WAL positions ('16/B374D848') as bigints, and the notes "tag T was last
 * invalidated by a write that committed at or before LSN L" that decide whether a
 * recomputation may read a replica (docs/architecture.md, "Read replicas").
 */

/** 'X/Y' (hex halves) → bigint; null stays null (pg_last_wal_replay_lsn() on a primary). */
export function parseLsn(text: string | null | undefined): bigint | null {
  if (!text) return null;
  const [high, low] = text.split('/');
  if (high === undefined || low === undefined) throw new Error(`expected an LSN such as 16/B374D848, got "${text}"`);
  return (BigInt(`0x${high}`) << 32n) | BigInt(`0x${low}`);
}

/** bigint → 'X/Y', as Postgres prints it. */
export function formatLsn(lsn: bigint): string {
  return `${(lsn >> 32n).toString(16).toUpperCase()}/${(lsn & 0xffffffffn).toString(16).toUpperCase()}`;
}

/** Stored in Redis as 16 hex digits: string order is numeric order (Lua compares strings, its numbers are doubles). */
const toStored = (lsn: bigint) => lsn.toString(16).padStart(16, '0');
const fromStored = (text: string | null | undefined) => (text ? BigInt(`0x${text}`) : 0n);

/** The floor when a note cannot be read or written: higher than any replica's replay position, so the primary answers. */
export const PRIMARY_ONLY = (1n << 64n) - 1n;

/** Sets KEYS[1] to ARGV[1] when that is higher (or the key is missing) and keeps it ARGV[2] ms either way: a max, never lowered by a late writer. */
const NOTE_MAX_SCRIPT = `
local current = redis.call('GET', KEYS[1])
if not current or current < ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
else
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 1`;

type NotingRedis = RedisClient & { gpNoteLsn(key: string, lsn: string, ttlMs: string): Promise<number> };

/**
 * Per tag, the highest commit LSN of a write that invalidated it, for `ttlMs`. Kept in
 * Redis when there is one (`${prefix}lsn:<tag>`, shared by every instance; one key per
 * tag, so nothing crosses Redis Cluster slots) and always in this process too. A note
 * that cannot be written or read makes the read conservative (PRIMARY_ONLY), never lax.
 */
export class CommitLsnNotes {
  private readonly local = new Map<string, { lsn: bigint; expiresAt: number }>();
  private readonly redis: NotingRedis | null;

  constructor(
    redis: RedisClient | null,
    private readonly prefix: string,
    readonly ttlMs: number,
    private readonly logger: Logger,
  ) {
    if (redis && !('gpNoteLsn' in redis)) redis.defineCommand('gpNoteLsn', { numberOfKeys: 1, lua: NOTE_MAX_SCRIPT });
    this.redis = redis as NotingRedis | null;
  }

  private key(tag: string): string {
    return `${this.prefix}lsn:${tag}`;
  }

  /** Notes `lsn` for every tag (the caller invalidates them only after this resolved). */
  async note(tags: readonly string[], lsn: bigint): Promise<void> {
    const now = Date.now();
    for (const tag of tags) {
      const previous = this.local.get(tag);
      if (!previous || previous.lsn < lsn || previous.expiresAt < now) this.local.set(tag, { lsn, expiresAt: now + this.ttlMs });
      else previous.expiresAt = now + this.ttlMs;
    }
    this.prune(now);
    if (!this.redis || tags.length === 0) return;
    const stored = toStored(lsn);
    const ttl = String(this.ttlMs);
    try {
      await Promise.all(tags.map((tag) => this.redis!.gpNoteLsn(this.key(tag), stored, ttl)));
    } catch (error) {
      // Other instances then read no note: documented limit (their recomputation may read a replica that lags).
      this.logger.warn({ err: error, tags: tags.length }, 'commit LSN not noted in Redis; other instances may not see it');
    }
  }

  /** The highest LSN noted for any of the tags (0n: none), PRIMARY_ONLY when Redis could not answer. */
  async floorFor(tags: readonly string[]): Promise<bigint> {
    const now = Date.now();
    let floor = 0n;
    for (const tag of tags) {
      const note = this.local.get(tag);
      if (note && note.expiresAt > now && note.lsn > floor) floor = note.lsn;
    }
    if (!this.redis || tags.length === 0) return floor;
    try {
      // One GET per tag: auto-pipelined into one round trip (per node in a cluster).
      const values = await Promise.all(tags.map((tag) => this.redis!.get(this.key(tag))));
      for (const value of values) {
        const lsn = fromStored(value);
        if (lsn > floor) floor = lsn;
      }
      return floor;
    } catch {
      return PRIMARY_ONLY;
    }
  }

  private prune(now: number): void {
    if (this.local.size < 10_000) return;
    for (const [tag, note] of this.local) if (note.expiresAt <= now) this.local.delete(tag);
  }
}
