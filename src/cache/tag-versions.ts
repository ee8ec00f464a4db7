import { randomBytes } from 'node:crypto';
import type { CacheEntry } from './cache.js';

/**
 * Tag versions: what makes an L2 entry safe without one transaction over the entry and its
 * tags (in a Redis Cluster they live on different shards).
 *
 * Every tag has a version in Redis (`v:` key, on the tag's slot; absent = "0"). An
 * invalidation sets a fresh version on each of its tags. A computation reads the versions
 * of its tags BEFORE it reads the database, and the entry it stores carries them (its
 * stamp). A value computed before an invalidation is never served after it: on one server
 * the write script refuses a stale stamp atomically; on a cluster (entry and versions on
 * other shards) every L2 read compares the stamp with the current versions. See
 * docs/architecture.md, section 3.9.
 */
export type TagVersions = Record<string, string>;

/** The version of a tag that was never invalidated (or whose version expired). */
export const ABSENT_VERSION = '0';

/**
 * How long a version is kept (ms). Longer than any entry lives (the largest @cached ttl + swr
 * is well under an hour; store() caps an entry's L2 lifetime to half of this): when a version
 * expires, no entry stamped before it was set can still exist.
 */
export const VERSION_TTL_MS = 24 * 3_600_000;

/** A version nobody used before: time for order in logs, random bits for uniqueness across instances. */
export function newVersion(): string {
  return `${Date.now().toString(36)}.${randomBytes(6).toString('base64url')}`;
}

/** The L2 value: the stamp's JSON, a newline, the entry's JSON (JSON text never holds a raw newline). */
export function encodeStamped(entry: CacheEntry, versions: TagVersions): string {
  const { versions: _ignored, ...rest } = entry;
  return `${JSON.stringify(versions)}\n${JSON.stringify(rest)}`;
}

/** The stamp and the entry's JSON of an L2 value, or undefined when it is not one (a value of an older release). */
export function splitStamped(text: string): { versions: TagVersions; entryJson: string } | undefined {
  const newline = text.indexOf('\n');
  if (newline <= 0) return undefined;
  return { versions: JSON.parse(text.slice(0, newline)) as TagVersions, entryJson: text.slice(newline + 1) };
}

/**
 * The stamp of a value built from several entries (an operation entry): the union of theirs,
 * or null when one has none (it was computed without Redis) or two disagree on a tag (one of
 * them already predates an invalidation): such a value is kept in L1 only.
 */
export function mergeStamps(stamps: ReadonlyArray<TagVersions | undefined>): TagVersions | null {
  const merged: TagVersions = {};
  for (const stamp of stamps) {
    if (!stamp) return null;
    for (const [tag, version] of Object.entries(stamp)) {
      if (tag in merged && merged[tag] !== version) return null;
      merged[tag] = version;
    }
  }
  return merged;
}

/**
 * Single node: writes the entry and adds it to its tags' sets only if every stamped version
 * is still current, atomically (every key is on the one server). An invalidation either ran
 * before (a version differs: nothing written) or runs after (it finds the entry in the set
 * and deletes it), so reads need no check there: a plain GET, as before tag versions.
 * KEYS[1] entry, KEYS[2..n+1] tag sets, KEYS[n+2..2n+1] their versions; ARGV[1] value,
 * ARGV[2] its TTL (ms), ARGV[3] the sets' TTL (ms), ARGV[4..n+3] the stamped versions (`*`:
 * a tag without one, not checked).
 * Returns 1 when written, 0 when a version moved on.
 */
export const WRITE_IF_CURRENT_SCRIPT = `
local n = (#KEYS - 1) / 2
for i = 1, n do
  local current = redis.call('GET', KEYS[n + 1 + i]) or '${ABSENT_VERSION}'
  if ARGV[3 + i] ~= '*' and current ~= ARGV[3 + i] then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
for i = 1, n do
  redis.call('SADD', KEYS[1 + i], KEYS[1])
  redis.call('PEXPIRE', KEYS[1 + i], ARGV[3], 'NX')
  redis.call('PEXPIRE', KEYS[1 + i], ARGV[3], 'GT')
end
return 1`;

/**
 * Single node: new versions for the tags, then their members and sets deleted; returns the
 * entry keys that existed. KEYS[1..n] tag sets, KEYS[n+1..2n] their versions; ARGV[1] the
 * version, ARGV[2] its expiry (ms).
 */
export const INVALIDATE_ALL_SCRIPT = `
local n = #KEYS / 2
local removed = {}
for i = 1, n do
  redis.call('SET', KEYS[n + i], ARGV[1], 'PX', ARGV[2])
  local members = redis.call('SMEMBERS', KEYS[i])
  for _, key in ipairs(members) do
    if redis.call('DEL', key) == 1 then table.insert(removed, key) end
  end
  redis.call('DEL', KEYS[i])
end
return removed`;

/**
 * Cluster, one tag (its set and version share the tag's slot): the new version, then the
 * set taken; returns its members, which the caller deletes one by one (each on its own slot).
 * KEYS[1] the set, KEYS[2] the version; ARGV as above.
 */
export const INVALIDATE_TAG_SCRIPT = `
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
local members = redis.call('SMEMBERS', KEYS[1])
redis.call('DEL', KEYS[1])
return members`;
