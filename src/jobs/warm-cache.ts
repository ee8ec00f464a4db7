import { execute, parse, type GraphQLSchema } from 'graphql';
import type { Principal } from '../auth/principal.js';
import { createRequestContext } from '../context.js';
import type { Services } from '../services.js';
import { utcDaysAgo } from '../days.js';

export interface WarmTarget {
  /** Stores to warm; null = every store. */
  storeIds: number[] | null;
  /** Ranges to warm; default: the last 7, 30 and 90 days up to today (what dashboards open with). */
  ranges?: Array<{ from: string; to: string }>;
}

export interface WarmResult {
  stores: number;
  ranges: number;
  fieldsWarmed: number;
  alreadyCached: number;
}

/** The process itself, warming for unscoped callers (PRIVATE entries of scope "all"). */
const WARMER: Principal = Object.freeze({ keyId: 0, name: 'cache warmer', role: 'ADMIN', storeIds: null });

const STORE_FIELDS = `
  revenue(range: $range) { total }
  trafficPatterns(range: $range) { hour }
  topProducts(range: $range) { revenue }
  customerInsights(range: $range) { newCustomers }
  inventory { onHand }`;

export function defaultWarmRanges(today = new Date()): Array<{ from: string; to: string }> {
  const day = (offset: number) => utcDaysAgo(offset, today.getTime());
  return [7, 30, 90].map((days) => ({ from: day(days - 1), to: day(0) }));
}

/**
 * Fills the cache by running the analytic fields through the real schema (so keys,
 * tags and loaders are exactly those of client requests) for the given stores and ranges.
 */
export async function warmCache(schema: GraphQLSchema, services: Services, target: WarmTarget): Promise<WarmResult> {
  const storeIds =
    target.storeIds ?? (await services.database.db.selectFrom('stores').select('id').orderBy('id').execute()).map((row) => row.id);
  const ranges = target.ranges ?? defaultWarmRanges();
  const document = parse(`query Warm($range: DateRange!) {
    ${storeIds.map((id) => `s${id}: store(id: "${id}") { ${STORE_FIELDS} }`).join('\n')}
    revenueMetrics(range: $range) { total }
    categoryLeaderboard(range: $range) { revenue }
    categories { performance(range: $range) { revenue } }
  }`);
  let fieldsWarmed = 0;
  let alreadyCached = 0;
  for (const range of ranges) {
    const context = createRequestContext(services, WARMER, `warm-${range.from}-${range.to}`);
    const result = await execute({ schema, document, contextValue: context, variableValues: { range } });
    if (result.errors?.length) {
      throw new Error(`cache warming failed for ${range.from}..${range.to}: ${result.errors.map((e) => e.message).join('; ')}`);
    }
    fieldsWarmed += context.cacheOutcomes.filter((o) => o.tier === 'MISS').length;
    alreadyCached += context.cacheOutcomes.filter((o) => o.tier !== 'MISS').length;
  }
  return { stores: storeIds.length, ranges: ranges.length, fieldsWarmed, alreadyCached };
}
