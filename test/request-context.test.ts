import { describe, expect, it } from 'vitest';
import type { Principal } from '../src/auth/principal.js';
import { ADMINS, grantsOf, READERS, WRITERS } from '../src/auth/role-grants.js';
import type { CacheOutcome } from '../src/cache/cache.js';
import { RequestCacheRecord } from '../src/cache/request-cache-record.js';
import { createRequestContext, noteUncachedWork, withinCachedField } from '../src/context.js';
import type { Services } from '../src/services.js';

/**
 * The per-request answers every plugin and resolver share: the principal's role
 * decisions (one per role set) and "was everything cached?" (one record per request).
 */

const principal = (role: Principal['role']): Principal => ({ keyId: 1, name: role.toLowerCase(), role, storeIds: null });
const outcome = (path: string, tier: CacheOutcome['tier']): CacheOutcome => ({
  path,
  field: `Test.${path}`,
  tier,
  age: 0,
  stale: false,
  tags: [],
  freshUntil: 0,
  staleUntil: 0,
  scope: 'PUBLIC',
});

describe('role grants', () => {
  it('answer each role set by role: VIEWER reads, INGEST writes, ADMIN everything, no principal nothing', () => {
    const table = (['VIEWER', 'INGEST', 'ADMIN', null] as const).map((role) => [
      role,
      [READERS, WRITERS, ADMINS].map((roles) => grantsOf(role).allows(roles)),
    ]);
    expect(table).toEqual([
      ['VIEWER', [true, false, false]],
      ['INGEST', [false, true, false]],
      ['ADMIN', [true, true, true]],
      [null, [false, false, false]],
    ]);
    // A role set other than the known ones is decided on the spot; an empty one needs only a principal.
    expect(grantsOf('INGEST').allows(['INGEST'])).toBe(true);
    expect(grantsOf('VIEWER').allows(['INGEST'])).toBe(false);
    expect(grantsOf('VIEWER').allows([])).toBe(true);
    expect(grantsOf(null).allows([])).toBe(false);
  });

  it('are decided once per role and taken by each request context', () => {
    expect(grantsOf('VIEWER')).toBe(grantsOf('VIEWER'));
    const services = {} as Services;
    const viewer = createRequestContext(services, principal('VIEWER'), 'r1');
    expect(viewer.grants).toBe(grantsOf('VIEWER'));
    expect(viewer.reader).toBe(true);
    expect(createRequestContext(services, principal('INGEST'), 'r2').reader).toBe(false);
    expect(createRequestContext(services, null, 'r3').reader).toBe(false);
  });
});

describe('RequestCacheRecord: was everything cached?', () => {
  it('nothing cached: neither everything cached nor a hit', () => {
    const record = new RequestCacheRecord();
    expect([record.everythingCached(), record.everythingHit()]).toEqual([false, false]);
  });

  it('only @cached fields: everything cached; a hit only when every one hit', () => {
    const record = new RequestCacheRecord();
    record.record(outcome('store', 'L1'));
    record.record(outcome('store.revenue', 'L2'));
    expect([record.everythingCached(), record.everythingHit()]).toEqual([true, true]);
    record.record(outcome('store.traffic', 'MISS'));
    expect([record.everythingCached(), record.everythingHit()]).toEqual([true, false]);
  });

  it('a read outside the @cached fields: neither, however the fields did', () => {
    const record = new RequestCacheRecord();
    record.record(outcome('store', 'L1'));
    record.noteUncachedRead();
    expect([record.everythingCached(), record.everythingHit()]).toEqual([false, false]);
  });

  it('the context notes work outside a cached computation, not inside one, in the one record', () => {
    const ctx = createRequestContext({} as Services, principal('VIEWER'), 'r4');
    noteUncachedWork(withinCachedField(ctx));
    ctx.cacheRecord.record(outcome('store', 'L1'));
    expect(ctx.cacheOutcomes).toBe(ctx.cacheRecord.fields);
    expect(ctx.cacheRecord.everythingHit()).toBe(true);
    noteUncachedWork(ctx);
    expect(ctx.cacheRecord.everythingCached()).toBe(false);
  });
});
