import { buildSchema, type GraphQLObjectType } from 'graphql';
import { describe, expect, it } from 'vitest';
import { readCachedDirective } from '../src/cache/cached-field.js';
import { checkReadTags } from '../src/cache/check-read-tags.js';
import {
  familyOfTag,
  familyOfTemplate,
  readTag,
  TAG_FAMILIES,
  TAG_PARTS,
  writeTags,
  type TagFamilyName,
  type TagVocabulary,
  type WriterSite,
} from '../src/cache/tag-vocabulary.js';
import { rangeBuckets } from '../src/cache/tags.js';
import { tagsForWrite } from '../src/cache/write-tags.js';
import { TieredCache } from '../src/cache/tiered-cache.js';
import { MemoryStore } from '../src/cache/memory-store.js';
import { composeFieldResolvers } from '../src/execution/field-resolvers.js';
import { tagsForIngestedEvents } from '../src/ingest/ingested-event-tags.js';
import { tagsForDeletedEvents } from '../src/jobs/processors/cleanup-events.job.js';
import { changesBetween, type Fingerprints } from '../src/jobs/view-fingerprints.js';
import { createLogger } from '../src/logger.js';
import { Cached } from '../src/schema/directives/cached.directive.js';
import { buildGraphqlSchema } from '../src/schema/build-schema.js';

/** The one home of cache tags: builders, the start-up check of read tags, and that every declared writer writes. */

const families = Object.keys(TAG_FAMILIES) as TagFamilyName[];
const l1Cache = () => new TieredCache(new MemoryStore(1_000_000), null, null, createLogger('silent'));

describe('builders produce exactly the tags used before the vocabulary', () => {
  it('read templates, byte for byte', () => {
    expect(readTag.stores()).toBe('stores');
    expect(readTag.catalog()).toBe('catalog');
    expect(readTag.store('args.id')).toBe('store:{args.id}');
    expect(readTag.product('args.id')).toBe('product:{args.id}');
    expect(readTag.storeSales('parent.id', 'args.range')).toBe('store:{parent.id}:sales:{buckets:args.range}');
    expect(readTag.storeEvents('parent.id', 'args.range')).toBe('store:{parent.id}:events:{buckets:args.range}');
    expect(readTag.storeCustomers('parent.id')).toBe('store:{parent.id}:customers');
    expect(readTag.storeInventory('parent.id')).toBe('store:{parent.id}:inventory');
    expect(readTag.storeInventory('args.storeId')).toBe('store:{args.storeId}:inventory');
    expect(readTag.sales('args.range')).toBe('sales:{buckets:args.range}');
    expect(readTag.productSales('parent.id', 'args.range')).toBe('product:{parent.id}:sales:{buckets:args.range}');
    expect(readTag.customerOrders('parent.id')).toBe('customer:{parent.id}:orders');
  });

  it('write tags of an order and of a stock adjustment', () => {
    expect(tagsForWrite({ kind: 'order', storeId: 3, productIds: [11, 12], customerId: 42, day: '2024-03-01' })).toEqual([
      'store:3:sales:d:2024-03-01',
      'store:3:sales:m:2024-03',
      'sales:d:2024-03-01',
      'sales:m:2024-03',
      'product:11:sales:d:2024-03-01',
      'product:11:sales:m:2024-03',
      'product:12:sales:d:2024-03-01',
      'product:12:sales:m:2024-03',
      'store:3:customers',
      'store:3:inventory',
      'customer:42:orders',
    ]);
    expect(tagsForWrite({ kind: 'order', storeId: 3, productIds: [11], customerId: null, day: '2024-03-01' })).not.toContain(
      'customer:null:orders',
    );
    expect(tagsForWrite({ kind: 'inventory', storeId: 3, productIds: [11], day: '2024-03-01' })).toEqual(['store:3:inventory']);
  });

  it('write tags of events, their cleanup and a refresh', () => {
    const at = (iso: string) => new Date(iso);
    expect(
      tagsForIngestedEvents([
        { storeId: 2, occurredAt: at('2024-03-01T23:59:59Z') },
        { storeId: 2, occurredAt: at('2024-03-01T00:00:00Z') },
        { storeId: 5, occurredAt: at('2024-02-29T12:00:00Z') },
      ]),
    ).toEqual(['store:2:events:d:2024-03-01', 'store:2:events:m:2024-03', 'store:5:events:d:2024-02-29', 'store:5:events:m:2024-02']);
    expect(tagsForDeletedEvents([{ store_id: 4, day: '2023-01-31' }])).toEqual(['store:4:events:d:2023-01-31', 'store:4:events:m:2023-01']);
    const after: Fingerprints = new Map([
      ['revenue|1|2024-03-01', 'a'],
      ['products|9|2024-03-02', 'b'],
      ['customers|2|2024-03-03', 'c'],
    ]);
    expect(changesBetween(new Map(), after).tags).toEqual([
      'product:9:sales:d:2024-03-02',
      'product:9:sales:m:2024-03',
      'sales:d:2024-03-01',
      'sales:m:2024-03',
      'store:1:sales:d:2024-03-01',
      'store:1:sales:m:2024-03',
      'store:2:customers',
    ]);
  });

  it('a bucketed writer refuses a day that is not YYYY-MM-DD (it would invalidate nothing)', () => {
    expect(() => writeTags('committedWrite').storeSales(1, '2024-3-1')).toThrow(/storeSales.*"2024-3-1".*YYYY-MM-DD/);
  });

  it('the read and the write side of a bucketed family meet: a write on a day hits the short and the long ranges over it', () => {
    const [dayTag, monthTag] = writeTags('committedWrite').storeSales(7, '2024-03-01');
    const config = readCachedDirective(...storeRevenueWith(`["${readTag.storeSales('parent.id', 'args.range')}"]`))!;
    const short = { from: '2024-02-25', to: '2024-03-05' };
    const long = { from: '2024-01-10', to: '2024-04-20' };
    expect(rangeBuckets(short)).toContain('d:2024-03-01');
    expect(rangeBuckets(long)).toContain('m:2024-03');
    expect(config.tags[0]({ id: 7 }, { range: short })).toContain(dayTag);
    expect(config.tags[0]({ id: 7 }, { range: long })).toContain(monthTag);
    // Another store's write meets neither.
    expect(config.tags[0]({ id: 8 }, { range: short })).not.toContain(dayTag);
  });

  it('misspelt families and free text are compile errors (checked by npm run typecheck)', () => {
    // @ts-expect-error storeSale is not a family
    expect(() => readTag.storeSale('parent.id', 'args.range')).toThrow(TypeError);
    // @ts-expect-error a template hole names a parent field or an argument
    readTag.storeSales('id', 'args.range');
    // @ts-expect-error the ingest writer may only build event tags
    expect(writeTags('ingestEvents').storeSales).toBeUndefined();
    // @ts-expect-error not a writer site
    writeTags('somewhere');
    // @ts-expect-error @Cached takes only templates built by readTag
    Cached({ ttl: 10, tags: ['store:{parent.id}:sales:{buckets:args.range}'] });
  });

  it('every family is told apart from every other, as a template and as a concrete tag', () => {
    for (const name of families) {
      const family = TAG_FAMILIES[name];
      const holes = family.parts.filter((part) => typeof part !== 'string');
      const template = (readTag[name] as (...values: string[]) => string)(
        ...holes.map((part) => (part === TAG_PARTS.ID ? 'parent.id' : 'args.range')),
      );
      expect(familyOfTemplate(template), template).toBe(name);
      const concrete = template.replace('{parent.id}', '17').replace('{buckets:args.range}', 'd:2024-03-01');
      expect(familyOfTag(concrete), concrete).toBe(name);
      expect(familyOfTag(concrete.replace('d:2024-03-01', 'm:2024-03')), concrete).toBe(name);
    }
    expect(familyOfTemplate('store:{parent.id}:sale:{buckets:args.range}')).toBeNull();
    expect(familyOfTag('store:1:sales:2024-03-01')).toBeNull();
  });
});

describe('every declared writer really writes its families', () => {
  /** Each writer site's tag function, run over input that takes every one of its branches. */
  const produced: Record<WriterSite, () => string[]> = {
    committedWrite: () => [
      ...tagsForWrite({ kind: 'order', storeId: 1, productIds: [2], customerId: 3, day: '2024-03-01' }),
      ...tagsForWrite({ kind: 'inventory', storeId: 1, productIds: [2], day: '2024-03-01' }),
    ],
    ingestEvents: () => tagsForIngestedEvents([{ storeId: 1, occurredAt: new Date('2024-03-01T10:00:00Z') }]),
    cleanupEvents: () => tagsForDeletedEvents([{ store_id: 1, day: '2024-03-01' }]),
    refreshAggregates: () =>
      changesBetween(
        new Map(),
        new Map(['revenue', 'traffic', 'storeProducts', 'products', 'customers'].map((part) => [`${part}|1|2024-03-01`, 'x'])),
      ).tags,
  };

  it.each(Object.keys(produced) as WriterSite[])('%s produces exactly the families that declare it, and only vocabulary tags', (site) => {
    const tags = produced[site]();
    const written = new Set(tags.map((tag) => familyOfTag(tag)));
    expect(written.has(null), `free-text tags: ${tags.filter((t) => familyOfTag(t) === null)}`).toBe(false);
    const declared = families.filter((name) => (TAG_FAMILIES[name].writers as readonly WriterSite[]).includes(site));
    expect([...written].sort()).toEqual([...declared].sort());
  });

  it('a family either has writers or says why it is TTL-only, never both', () => {
    for (const name of families) {
      const family: TagVocabulary[string] = TAG_FAMILIES[name];
      expect(family.writers.length > 0 !== Boolean(family.ttlOnly), name).toBe(true);
    }
  });
});

const DIRECTIVE_SDL = `
  enum CacheScope { PUBLIC PRIVATE }
  directive @cached(ttl: Int!, scope: CacheScope = PUBLIC, tags: [String!], swr: Int) on FIELD_DEFINITION
  input DateRange { from: String!, to: String! }
`;

/** A tiny schema whose Store.revenue carries @cached with the given tag list. */
function storeRevenueWith(tags: string) {
  const schema = buildSchema(`${DIRECTIVE_SDL}
    type Store { id: ID!  revenue(range: DateRange!): Int @cached(ttl: 10, tags: ${tags})  name: String @cached(ttl: 10, tags: ["stores"]) }
    type Query { store(id: ID!): Store @cached(ttl: 10, tags: ["store:{args.id}"]) }
  `);
  const store = schema.getType('Store') as GraphQLObjectType;
  return [store, store.getFields().revenue, schema] as const;
}

const compose = (tags: string) =>
  composeFieldResolvers(storeRevenueWith(tags)[2], { cache: l1Cache(), schemaVersion: 'test', timings: null });

describe('the start-up check of read tags', () => {
  it('accepts a schema whose read tags all come from the vocabulary', () => {
    const composed = compose(`["store:{parent.id}:sales:{buckets:args.range}", "store:{parent.id}:events:{buckets:args.range}"]`);
    expect(composed.cached.map((c) => c.coordinate).sort()).toEqual(['Query.store', 'Store.name', 'Store.revenue']);
  });

  it.each([
    [
      'a misspelt family',
      `["store:{parent.id}:sale:{buckets:args.range}"]`,
      /Store\.revenue: tag "store:\{parent\.id\}:sale:\{buckets:args\.range\}" is not from the tag vocabulary/,
    ],
    ['free text', `["revenue-of-everything"]`, /Store\.revenue: tag "revenue-of-everything" is not from the tag vocabulary/],
    ['a value where buckets belong', `["store:{parent.id}:sales:{args.range}"]`, /Store\.revenue: tag .* is not from the tag vocabulary/],
  ])('refuses %s, naming the field coordinate', (_name, tags, message) => {
    expect(() => compose(tags)).toThrow(message);
  });

  it('names every offending field in one message', () => {
    const fields = [
      { coordinate: 'Store.revenue', tagTemplates: ['nope'] },
      { coordinate: 'Query.store', tagTemplates: [readTag.store('args.id')] },
      { coordinate: 'Product.performance', tagTemplates: ['product:{parent.id}:sold'] },
    ];
    expect(() => checkReadTags(fields)).toThrow(/Store\.revenue: tag "nope"[\s\S]*Product\.performance: tag "product:\{parent\.id\}:sold"/);
  });

  it('refuses a family that no writer invalidates and that is not declared TTL-only', () => {
    const vocabulary = {
      ...TAG_FAMILIES,
      storeReturns: { parts: ['store', TAG_PARTS.ID, 'returns'], writers: [] },
    } as unknown as TagVocabulary;
    const fields = [{ coordinate: 'Store.returns', tagTemplates: ['store:{parent.id}:returns'] }];
    expect(() => checkReadTags(fields, vocabulary)).toThrow(
      /Store\.returns: tag family storeReturns .* has no writer that invalidates it and is not declared ttlOnly/,
    );
    // The same family declared TTL-only, or with a writer, passes.
    expect(() =>
      checkReadTags(fields, { ...vocabulary, storeReturns: { ...vocabulary.storeReturns, ttlOnly: 'returns are rare' } } as TagVocabulary),
    ).not.toThrow();
    expect(() =>
      checkReadTags(fields, { ...vocabulary, storeReturns: { ...vocabulary.storeReturns, writers: ['committedWrite'] } } as TagVocabulary),
    ).not.toThrow();
  });

  it('the real schema passes, reads only vocabulary tags, and reads every family of the vocabulary', async () => {
    const composed = composeFieldResolvers(await buildGraphqlSchema(), { cache: l1Cache(), schemaVersion: 'test', timings: null });
    const read = new Set(composed.cached.flatMap((field) => field.tagTemplates.map((template) => familyOfTemplate(template))));
    expect(read.has(null)).toBe(false);
    // A family nobody reads would be invalidated for nothing (or be a misspelling of one that is read).
    expect([...read].sort()).toEqual([...families].sort());
  });
});
