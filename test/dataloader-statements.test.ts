import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OrdersWithRelationsDocument, StoreDashboardDocument } from './generated/graphql.js';
import { dataOf } from './helpers/graphql-client.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';
import { lastDays } from './helpers/dates.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
  // More stores than the largest page, so N = 20 really means 20 parents.
  await server.app.services.database.db
    .insertInto('stores')
    .values(Array.from({ length: 20 }, (_, i) => ({ name: `Extra ${i}`, city: 'Braga', opened_at: '2020-01-01' })))
    .execute();
  await server.request('{ categories { id } }'); // warm the key lookup
});
afterAll(() => server?.stop());

/** SQL statements one request runs (this file's server serves only the test, one request at a time). */
async function statementsOf(run: () => Promise<unknown>): Promise<number> {
  // Cold cache: this test is about loaders, so every analytic field must reach them.
  server.app.services.cache.l1.clear();
  const before = server.app.services.database.stats.queries;
  const seen: string[] = [];
  const off = server.app.services.database.observe((e) => seen.push(e.query.sql.slice(0, 90).replace(/\s+/g, ' ')));
  await run();
  off();
  if (process.env.DEBUG_SQL) console.log(seen.join('\n'));
  return server.app.services.database.stats.queries - before;
}

describe('DataLoader batching', () => {
  it('the store dashboard runs the same statements for 2 and for 20 stores', async () => {
    const range = lastDays(30);
    const counts: number[] = [];
    for (const first of [2, 20]) {
      counts.push(
        await statementsOf(async () => {
          const data = dataOf(await server.request(StoreDashboardDocument, { variables: { first, range } }));
          expect(data.stores.edges).toHaveLength(first);
          expect(data.stores.edges.every((e) => e.node.topProducts.every((p) => p.product.category.name))).toBe(true);
        }),
      );
    }
    expect(counts[0]).toBe(counts[1]);
    // stores page + count, watermark, revenue, top products, products, categories, inventory, products of inventory rows
    expect(counts[1]).toBeLessThanOrEqual(9);
  });

  it('orders with store, customer and items run the same statements for 5 and for 50 orders', async () => {
    const counts: number[] = [];
    for (const first of [5, 50]) {
      counts.push(
        await statementsOf(async () => {
          const data = dataOf(await server.request(OrdersWithRelationsDocument, { variables: { first } }));
          expect(data.orders.edges).toHaveLength(first);
          expect(data.orders.edges.every((e) => e.node.items.length > 0 && e.node.store.name)).toBe(true);
        }),
      );
    }
    expect(counts[0]).toBe(counts[1]);
    expect(counts[1]).toBeLessThanOrEqual(6);
  });
});
