import { buildSchema, type GraphQLObjectType } from 'graphql';
import { ANALYTIC_FIELDS } from './helpers/constants.js';
import { describe, expect, it, vi } from 'vitest';
import type { CacheEntry } from '../src/cache/cache.js';
import { readCachedDirective } from '../src/cache/cached-field.js';
import { composeFieldResolvers } from '../src/execution/field-resolvers.js';
import { hashOf, stableJson } from '../src/cache/keys.js';
import { MemoryStore } from '../src/cache/memory-store.js';
import { compileTagTemplate, rangeBuckets } from '../src/cache/tags.js';
import { TieredCache } from '../src/cache/tiered-cache.js';
import { createLogger } from '../src/logger.js';
import { buildGraphqlSchema } from '../src/schema/build-schema.js';

/** The parts of the cache that need neither a server nor Redis: directive checks, tag templates, L1 bounds. */

const DIRECTIVE_SDL = `
  enum CacheScope { PUBLIC PRIVATE }
  directive @cached(ttl: Int!, scope: CacheScope = PUBLIC, tags: [String!], swr: Int) on FIELD_DEFINITION
  input DateRange { from: String!, to: String! }
`;

/** A small schema whose Store.revenue (and Mutation.touch) carry the given directive text. */
function schemaWith(directive: string, mutationDirective = '') {
  const schema = buildSchema(`${DIRECTIVE_SDL}
    type Store { id: ID!  name: String!  revenue(range: DateRange!, granularity: String): Int ${directive} }
    type Query { store(id: ID!): Store }
    type Mutation { touch(id: ID!): Int ${mutationDirective} }
  `);
  const store = schema.getType('Store') as GraphQLObjectType;
  return { schema, store, field: store.getFields().revenue };
}

const l1Cache = () => new TieredCache(new MemoryStore(1_000_000), null, null, createLogger('silent'));

describe('@cached: a bad directive fails at start with the field coordinate', () => {
  it.each([
    ['ttl 0', '@cached(ttl: 0)', /@cached on Store\.revenue: ttl must be a positive number of seconds, got 0/],
    ['negative ttl', '@cached(ttl: -5)', /Store\.revenue.*ttl.*-5/],
    ['negative swr', '@cached(ttl: 10, swr: -1)', /Store\.revenue.*swr.*-1/],
    ['unknown parent field', '@cached(ttl: 10, tags: ["store:{parent.nope}"])', /Store\.revenue.*\{parent\.nope\}.*"nope"/],
    ['unknown argument', '@cached(ttl: 10, tags: ["x:{args.storeId}"])', /Store\.revenue.*\{args\.storeId\}.*"storeId"/],
    ['unknown root', '@cached(ttl: 10, tags: ["x:{context.user}"])', /Store\.revenue.*unknown variable \{context\.user\}/],
    ['bucket of an unknown argument', '@cached(ttl: 10, tags: ["x:{buckets:args.period}"])', /Store\.revenue.*"period"/],
  ])('%s', (_name, directive, message) => {
    const { schema, store, field } = schemaWith(directive);
    expect(() => readCachedDirective(store, field, schema)).toThrow(message);
    // The start path (composeFieldResolvers over the whole schema) fails the same way.
    expect(() => composeFieldResolvers(schema, { cache: l1Cache(), schemaVersion: 'test', timings: null })).toThrow(message);
  });

  it('refuses @cached on a mutation field, naming it', () => {
    const { schema } = schemaWith('', '@cached(ttl: 10)');
    expect(() => composeFieldResolvers(schema, { cache: l1Cache(), schemaVersion: 'test', timings: null })).toThrow(
      /Mutation\.touch.*never cached/,
    );
  });

  it('compileTagTemplate names the coordinate it was given', () => {
    const scope = { parentFields: new Set(['id']), argNames: new Set(['range']) };
    expect(() => compileTagTemplate('store:{parent.nope}', 'Store.revenue', scope)).toThrow(/Store\.revenue/);
    expect(() => compileTagTemplate('store:{args.nope}', 'Store.revenue', scope)).toThrow(/Store\.revenue/);
  });

  it('a good directive is read with its defaults and its tag templates expand per call', () => {
    const { schema, store, field } = schemaWith('@cached(ttl: 300, tags: ["store:{parent.id}:sales:{buckets:args.range}"])');
    const config = readCachedDirective(store, field, schema);
    expect(config).toMatchObject({ coordinate: 'Store.revenue', ttl: 300, swr: 0, scope: 'PUBLIC' });
    // As written, for the start-up check against the tag vocabulary (src/cache/check-read-tags.ts).
    expect(config!.tagTemplates).toEqual(['store:{parent.id}:sales:{buckets:args.range}']);
    const tags = config!.tags[0]({ id: 7 }, { range: { from: '2024-02-28', to: '2024-03-01' } });
    expect(tags).toEqual(['store:7:sales:d:2024-02-28', 'store:7:sales:d:2024-02-29', 'store:7:sales:d:2024-03-01']);
    // Long ranges are tagged by month (a bounded number of tags).
    expect(rangeBuckets({ from: '2024-01-15', to: '2024-03-10' })).toEqual(['m:2024-01', 'm:2024-02', 'm:2024-03']);
  });

  it('the real schema wraps every analytic field of the spine', async () => {
    const schema = await buildGraphqlSchema();
    const applied = composeFieldResolvers(schema, { cache: l1Cache(), schemaVersion: 'test', timings: null }).cached;
    const coordinates = applied.map((c) => c.coordinate);
    expect(coordinates).toEqual(expect.arrayContaining(ANALYTIC_FIELDS));
    for (const config of applied) expect(config.ttl, config.coordinate).toBeGreaterThan(0);
    // Aggregates over the caller's store scope must not be shared between scopes.
    const scopes = Object.fromEntries(applied.map((c) => [c.coordinate, c.scope]));
    expect(scopes).toMatchObject({
      'Query.revenueMetrics': 'PRIVATE',
      'Query.categoryLeaderboard': 'PRIVATE',
      'Category.performance': 'PRIVATE',
    });
  });

  it('argument hashing is stable under key order', () => {
    expect(hashOf(stableJson({ range: { from: 'a', to: 'b' }, granularity: 'DAY' }))).toBe(
      hashOf(stableJson({ granularity: 'DAY', range: { to: 'b', from: 'a' } })),
    );
    expect(hashOf(stableJson({ range: { from: 'a', to: 'b' } }))).not.toBe(hashOf(stableJson({ range: { from: 'a', to: 'c' } })));
  });
});

function entry(value: unknown, tags: string[], ttlMs = 60_000): CacheEntry {
  const now = Date.now();
  return { value, createdAt: now, freshUntil: now + ttlMs, staleUntil: now + ttlMs, tags };
}

describe('MemoryStore (L1) is bounded in bytes', () => {
  it('keeps its calculated size under maxBytes after many inserts, evicting the least recently used', () => {
    const maxBytes = 20_000;
    const store = new MemoryStore(maxBytes);
    const payload = { points: Array.from({ length: 20 }, (_, i) => ({ period: `2024-01-${i}`, revenue: i * 1.5 })) };
    let peak = 0;
    for (let i = 0; i < 2_000; i += 1) {
      store.set(`key-${i}`, entry({ ...payload, i }, ['all', `n:${i % 10}`]));
      peak = Math.max(peak, store.bytes);
      if (i === 1_000) store.get('key-999'); // recently used: survives the next few inserts
    }
    expect(peak).toBeLessThanOrEqual(maxBytes);
    expect(store.bytes).toBeGreaterThan(maxBytes / 2);
    expect(store.size).toBeGreaterThan(5);
    expect(store.size).toBeLessThan(100);
    expect(store.get('key-1999')?.value).toMatchObject({ i: 1999 });
    expect(store.get('key-0')).toBeUndefined();
    // The tag index forgot evicted keys: invalidating the common tag removes exactly what is there.
    const size = store.size;
    expect(store.invalidate(['all'])).toHaveLength(size);
    expect(store.size).toBe(0);
    expect(store.bytes).toBe(0);
  });

  it('does not keep (or index) an entry larger than the whole cache', () => {
    const store = new MemoryStore(5_000);
    store.set('small', entry('x', ['t']));
    store.set('huge', entry('y'.repeat(10_000), ['t']));
    expect(store.get('huge')).toBeUndefined();
    expect(store.bytes).toBeLessThanOrEqual(5_000);
    expect(store.invalidate(['t'])).toEqual(['small']);
  });

  it('does not serve an entry past its stale window', () => {
    // The store judges an entry by Date.now() against its staleUntil: a faked clock moves exactly.
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      const store = new MemoryStore(100_000);
      store.set('short', entry('v', ['t'], 50));
      vi.advanceTimersByTime(49);
      expect(store.get('short')?.value).toBe('v');
      vi.advanceTimersByTime(1);
      expect(store.get('short')).toBeUndefined();
    } finally {
      vi.useRealTimers();
    }
  });
});
