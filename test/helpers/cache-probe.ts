import { expect } from 'vitest';
import { dataOf, type GraphqlResponse } from './graphql-client.js';
import type { TestServer } from './test-server.js';

/** What the cache tests read the cache through: a probe query, the report a response carries, invalidation. */

/** A cached parent (the store) with two cached children whose tags name the store and the days read. */
export const STORE_SALES = `query ($id: ID!, $range: DateRange!) {
  store(id: $id) { id revenue(range: $range) { total orders } trafficPatterns(range: $range) { hour orders } }
}`;

export interface CacheField {
  path: string;
  tier: 'L1' | 'L2' | 'MISS' | 'OPERATION';
  age: number;
  stale: boolean;
}
export interface CacheReport {
  hits: number;
  misses: number;
  fields: CacheField[];
}

/** extensions.cache of a response Apollo answered (a hot-path hit carries the stored one's, or none). */
export function reportOf(response: GraphqlResponse<unknown>): CacheReport | undefined {
  return response.body.extensions?.cache as CacheReport | undefined;
}

/** path → tier of every cached field of a response. */
export function tiersOf(response: GraphqlResponse<unknown>): Record<string, string> {
  return Object.fromEntries((reportOf(response)?.fields ?? []).map((f) => [f.path, f.tier]));
}

/** invalidateCache(tags) as the admin: how many entries it evicted. */
export async function invalidate(server: TestServer, tags: string[]): Promise<number> {
  const response = await server.request(`mutation ($tags: [String!]!) { invalidateCache(tags: $tags) }`, { variables: { tags } });
  return dataOf(response).invalidateCache as number;
}

/**
 * One day of a store's sales, cached on `reader` until its repeat is a whole stored response
 * (X-Cache HIT), then invalidated by its tag through `writer` (the same instance or another):
 * the stored response and both field entries must be gone, only the store entry stays.
 */
export async function expectDayInvalidated(reader: TestServer, writer: TestServer, storeId: number, day: string): Promise<void> {
  const variables = { id: String(storeId), range: { from: day, to: day } };
  await reader.request(STORE_SALES, { variables });
  expect((await reader.request(STORE_SALES, { variables })).headers.get('x-cache')).toBe('HIT');
  // The revenue and traffic entries, and the stored response built from them (when `writer`
  // never read them, what it counts came from L2).
  expect(await invalidate(writer, [`store:${storeId}:sales:d:${day}`])).toBeGreaterThanOrEqual(2);
  const after = await reader.request(STORE_SALES, { variables });
  expect(after.headers.get('x-cache')).toBe('MISS');
  expect(tiersOf(after)).toEqual({ store: 'L1', 'store.revenue': 'MISS', 'store.trafficPatterns': 'MISS' });
}
