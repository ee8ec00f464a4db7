import { BUCKET_PATTERN, BUCKETS_HOLE_PATTERN, bucketsHole, dayBuckets, VALUE_HOLE_PATTERN, valueHole } from './tags.js';

/**
 * Every cache tag family, defined once: its parts, and who invalidates it. Readers build
 * @cached templates from it (`readTag.storeSales('parent.id', 'args.range')` →
 * "store:{parent.id}:sales:{buckets:args.range}"); writers build the concrete tags they
 * invalidate from the same family (`writeTags('committedWrite').storeSales(7, '2024-03-01')`
 * → "store:7:sales:d:2024-03-01", "store:7:sales:m:2024-03"). A misspelt family is a
 * compile error on both sides, and the start-up check (check-read-tags.ts) refuses any
 * read tag that is not from here, or whose family nothing invalidates.
 */

/** An entity id: `{parent.id}` or `{args.id}` when read, the id itself when written. */
const ID = { hole: 'id' } as const;
/**
 * Date buckets: when read, every bucket of a DateRange argument (per day up to 31 days,
 * per month beyond); when written, both buckets a day falls in (its day and its month).
 */
const DAY = { hole: 'day' } as const;
type Part = string | typeof ID | typeof DAY;

/**
 * The places that invalidate tags, each calling writeTags(site) for its builders:
 *   committedWrite     recordOrder and adjustInventory, through services.afterWrite (src/cache/write-tags.ts)
 *   ingestEvents       an ingestEvents batch (src/ingest/ingested-event-tags.ts)
 *   cleanupEvents      the retention job deleting old events (src/jobs/processors/cleanup-events.job.ts)
 *   refreshAggregates  the materialized-view refresh, per changed bucket (src/jobs/view-fingerprints.ts)
 * test/tag-vocabulary.test.ts runs each site's tag function and checks it produces
 * exactly the families that name it below.
 */
export type WriterSite = 'committedWrite' | 'ingestEvents' | 'cleanupEvents' | 'refreshAggregates';

/** A family is invalidated by at least one writer, or says why its entries may live until their ttl. */
export type TagFamilyDefinition =
  | { readonly parts: readonly Part[]; readonly writers: readonly [WriterSite, ...WriterSite[]]; readonly ttlOnly?: undefined }
  | { readonly parts: readonly Part[]; readonly writers: readonly []; readonly ttlOnly: string };

const NO_API_WRITES = 'stores, products and categories are written only by the seed; entries expire by ttl';

export const TAG_FAMILIES = {
  stores: { parts: ['stores'], writers: [], ttlOnly: NO_API_WRITES },
  catalog: { parts: ['catalog'], writers: [], ttlOnly: NO_API_WRITES },
  store: { parts: ['store', ID], writers: [], ttlOnly: NO_API_WRITES },
  product: { parts: ['product', ID], writers: [], ttlOnly: NO_API_WRITES },
  storeSales: { parts: ['store', ID, 'sales', DAY], writers: ['committedWrite', 'refreshAggregates'] },
  storeEvents: { parts: ['store', ID, 'events', DAY], writers: ['ingestEvents', 'cleanupEvents'] },
  storeCustomers: { parts: ['store', ID, 'customers'], writers: ['committedWrite', 'refreshAggregates'] },
  storeInventory: { parts: ['store', ID, 'inventory'], writers: ['committedWrite'] },
  sales: { parts: ['sales', DAY], writers: ['committedWrite', 'refreshAggregates'] },
  productSales: { parts: ['product', ID, 'sales', DAY], writers: ['committedWrite', 'refreshAggregates'] },
  customerOrders: { parts: ['customer', ID, 'orders'], writers: ['committedWrite'] },
} as const satisfies Record<string, TagFamilyDefinition>;

export type TagFamilyName = keyof typeof TAG_FAMILIES;
export type TagVocabulary = Readonly<Record<string, TagFamilyDefinition>>;

type PartsOf<F extends TagFamilyName> = (typeof TAG_FAMILIES)[F]['parts'];

/** What a read template's hole names: a parent field or an argument (paths as compileTagTemplate reads them). */
export type ValuePath = `parent.${string}` | `args.${string}`;
/** The DateRange argument whose buckets a read template covers. */
export type RangePath = `args.${string}`;

declare const readTagBrand: unique symbol;
/** A @cached tag template built from the vocabulary; plain strings are not accepted by @Cached. */
export type ReadTagTemplate = string & { readonly [readTagBrand]: true };

type ReadParams<P> = P extends readonly [infer Head, ...infer Rest]
  ? Head extends typeof ID
    ? [value: ValuePath, ...ReadParams<Rest>]
    : Head extends typeof DAY
      ? [range: RangePath, ...ReadParams<Rest>]
      : ReadParams<Rest>
  : [];
type WriteParams<P> = P extends readonly [infer Head, ...infer Rest]
  ? Head extends typeof ID
    ? [id: number | string, ...WriteParams<Rest>]
    : Head extends typeof DAY
      ? [day: string, ...WriteParams<Rest>]
      : WriteParams<Rest>
  : [];
type HasDay<P> = P extends readonly [infer Head, ...infer Rest] ? (Head extends typeof DAY ? true : HasDay<Rest>) : false;

export type ReadTagBuilders = { readonly [F in TagFamilyName]: (...values: ReadParams<PartsOf<F>>) => ReadTagTemplate };
/** A bucketed family gives every tag of the day (its day and month buckets); any other one its one tag. */
type WriteBuilder<F extends TagFamilyName> = (...values: WriteParams<PartsOf<F>>) => HasDay<PartsOf<F>> extends true ? string[] : string;
/** The builders of the families that name `S` among their writers, and only those. */
export type WriteTagBuilders<S extends WriterSite> = {
  readonly [F in TagFamilyName as S extends (typeof TAG_FAMILIES)[F]['writers'][number] ? F : never]: WriteBuilder<F>;
};

const familyNames = Object.keys(TAG_FAMILIES) as TagFamilyName[];

function readTemplate(parts: readonly Part[], values: readonly string[]): string {
  let next = 0;
  return parts
    .map((part) => (typeof part === 'string' ? part : part === ID ? valueHole(values[next++]) : bucketsHole(values[next++])))
    .join(':');
}

const ISO_DAY = /^\d{4}-\d{2}-\d{2}$/;

function concreteTags(family: string, parts: readonly Part[], values: ReadonlyArray<number | string>): string[] {
  let next = 0;
  // Each part yields one or more strings; the tags are their cross product (one DAY part: its two buckets).
  return parts.reduce<string[]>(
    (tags, part, index) => {
      let pieces: string[];
      if (typeof part === 'string') pieces = [part];
      else if (part === ID) pieces = [String(values[next++])];
      else {
        const day = String(values[next++]);
        // A malformed day would yield tags no reader carries: the write would invalidate nothing.
        if (!ISO_DAY.test(day)) throw new Error(`tag family ${family}: "${day}" is not a YYYY-MM-DD day`);
        pieces = dayBuckets(day);
      }
      return pieces.flatMap((piece) => tags.map((tag) => (index === 0 ? piece : `${tag}:${piece}`)));
    },
    [''],
  );
}

/** Template builders for @Cached({ tags: [...] }). */
export const readTag = Object.fromEntries(
  familyNames.map((name) => [name, (...values: string[]) => readTemplate(TAG_FAMILIES[name].parts, values)]),
) as unknown as ReadTagBuilders;

/**
 * The tag builders a writer site may use: only the families that declare it, so a site
 * cannot invalidate a family whose declaration does not say so (types and run time alike).
 */
export function writeTags<S extends WriterSite>(site: S): WriteTagBuilders<S> {
  const builders: Record<string, (...values: Array<number | string>) => string | string[]> = {};
  for (const name of familyNames) {
    const family: TagFamilyDefinition = TAG_FAMILIES[name];
    if (!(family.writers as readonly WriterSite[]).includes(site)) continue;
    const bucketed = family.parts.includes(DAY);
    builders[name] = (...values) => {
      const tags = concreteTags(name, family.parts, values);
      return bucketed ? tags : tags[0];
    };
  }
  return builders as unknown as WriteTagBuilders<S>;
}

function familyPatterns(vocabulary: TagVocabulary, hole: (part: typeof ID | typeof DAY) => string): Array<[string, RegExp]> {
  const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return Object.entries(vocabulary).map(([name, family]) => [
    name,
    new RegExp(`^${family.parts.map((part) => (typeof part === 'string' ? escape(part) : hole(part))).join(':')}$`),
  ]);
}

const templateMatchers = new WeakMap<TagVocabulary, Array<[string, RegExp]>>();
const tagMatchers = new WeakMap<TagVocabulary, Array<[string, RegExp]>>();

function matchingFamily(matchers: Array<[string, RegExp]>, text: string): string | null {
  const found = matchers.filter(([, pattern]) => pattern.test(text)).map(([name]) => name);
  if (found.length > 1)
    throw new Error(`tag "${text}" matches several tag families (${found.join(', ')}); the vocabulary must keep them apart`);
  return found[0] ?? null;
}

/** The family of a @cached template, or null when it is free text (not built by readTag). */
export function familyOfTemplate(template: string, vocabulary: TagVocabulary = TAG_FAMILIES): string | null {
  let matchers = templateMatchers.get(vocabulary);
  if (!matchers)
    templateMatchers.set(
      vocabulary,
      (matchers = familyPatterns(vocabulary, (part) => (part === ID ? VALUE_HOLE_PATTERN : BUCKETS_HOLE_PATTERN))),
    );
  return matchingFamily(matchers, template);
}

/** The family of a concrete tag (one a writer invalidates, or a read template expanded), or null. */
export function familyOfTag(tag: string, vocabulary: TagVocabulary = TAG_FAMILIES): string | null {
  let matchers = tagMatchers.get(vocabulary);
  if (!matchers) tagMatchers.set(vocabulary, (matchers = familyPatterns(vocabulary, (part) => (part === ID ? '[^:{}]+' : BUCKET_PATTERN))));
  return matchingFamily(matchers, tag);
}

/** Exported for tests that build a vocabulary of their own (e.g. a family nothing writes). */
export const TAG_PARTS = { ID, DAY } as const;
