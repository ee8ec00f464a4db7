import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateApiKeyDocument, IngestEventsDocument, StoreFunnelDocument, type EventInput } from './generated/graphql.js';
import { dataOf } from './helpers/graphql-client.js';
import { lastDays } from './helpers/dates.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';
import { waitFor } from './helpers/wait-for.js';

let server: TestServer;
let ingestKey: string;
let scopedKey: string;
beforeAll(async () => {
  server = await startTestServer();
  ingestKey = dataOf(await server.request(CreateApiKeyDocument, { variables: { name: 'ingest', role: 'INGEST' } })).createApiKey.key;
  scopedKey = dataOf(await server.request(CreateApiKeyDocument, { variables: { name: 'ingest-1', role: 'INGEST', storeIds: ['1'] } }))
    .createApiKey.key;
});
afterAll(() => server?.stop());

const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000).toISOString();
function event(overrides: Partial<EventInput> = {}): EventInput {
  return { id: `t-${randomUUID()}`, storeId: '1', type: 'VISIT', occurredAt: minutesAgo(1), sessionId: 's1', ...overrides };
}
const ingest = (events: EventInput[], key = ingestKey) => server.request(IngestEventsDocument, { variables: { events }, key });
const storedCount = async (ids: Array<string | number>) =>
  Number(
    (
      await sql<{ n: number }>`SELECT count(*)::int AS n FROM events WHERE id = ANY(${ids.map(String)})`.execute(
        server.app.services.database.db,
      )
    ).rows[0].n,
  );

describe('ingestEvents', () => {
  it('stores the valid events of a mixed batch and says why each other one was refused', async () => {
    const events = [
      event(),
      event({ storeId: '99999' }),
      event({ occurredAt: new Date(Date.now() + 60 * 60_000).toISOString() }),
      event({ type: 'CHECKOUT', properties: { cart: 'x'.repeat(5000) } }),
      event({ occurredAt: '2001-01-01T00:00:00Z' }),
      event({ id: 'bad id with spaces' }),
      event({ type: 'PAGE_VIEW', properties: { page: '/menu' } }),
    ];
    const result = dataOf(await ingest(events)).ingestEvents;
    expect(result.accepted).toBe(2);
    expect(result.duplicates).toBe(0);
    expect(result.rejected.map((r) => [r.index, r.code])).toEqual([
      [1, 'NOT_FOUND'],
      [2, 'BAD_USER_INPUT'],
      [3, 'BAD_USER_INPUT'],
      [4, 'BAD_USER_INPUT'],
      [5, 'BAD_USER_INPUT'],
    ]);
    expect(result.rejected[1].message).toMatch(/future/);
    expect(result.rejected[2].message).toMatch(/4096/);
    expect(result.rejected[3].message).toMatch(/retention/);
    expect(await storedCount(events.map((e) => e.id))).toBe(2);
  });

  it('a resent batch stores nothing twice and counts duplicates', async () => {
    const events = [event(), event({ type: 'ADD_TO_CART' }), event()];
    expect(dataOf(await ingest(events)).ingestEvents).toMatchObject({ accepted: 3, duplicates: 0 });
    expect(dataOf(await ingest(events)).ingestEvents).toMatchObject({ accepted: 0, duplicates: 3 });
    expect(dataOf(await ingest([events[0], events[0]])).ingestEvents).toMatchObject({ accepted: 0, duplicates: 2 });
    expect(await storedCount(events.map((e) => e.id))).toBe(3);
  });

  it('10 clients resending the same batch at once store each event once', async () => {
    const events = Array.from({ length: 200 }, (_, i) => event({ type: i % 2 ? 'PAGE_VIEW' : 'VISIT' }));
    const results = await Promise.all(Array.from({ length: 10 }, () => ingest(events)));
    const totals = results.map((r) => dataOf(r).ingestEvents);
    expect(totals.reduce((sum, t) => sum + t.accepted, 0)).toBe(200);
    expect(totals.reduce((sum, t) => sum + t.duplicates, 0)).toBe(9 * 200);
    expect(await storedCount(events.map((e) => e.id))).toBe(200);
  });

  it('a store-scoped key may only write its stores, and VIEWER keys may not ingest', async () => {
    const result = dataOf(await ingest([event({ storeId: '1' }), event({ storeId: '2' })], scopedKey)).ingestEvents;
    expect(result.accepted).toBe(1);
    expect(result.rejected).toEqual([expect.objectContaining({ index: 1, code: 'FORBIDDEN' })]);
    const viewer = dataOf(await server.request(CreateApiKeyDocument, { variables: { name: 'v', role: 'VIEWER' } })).createApiKey.key;
    const refused = await ingest([event()], viewer);
    expect(refused.body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });

  it('a batch that fails midway in the database leaves none of its events', async () => {
    const db = server.app.services.database.db;
    // A trigger that fails on one row stands in for a crash in the middle of the insert.
    await sql`CREATE FUNCTION fail_on_poison() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.id = 'poison' THEN RAISE EXCEPTION 'simulated crash'; END IF; RETURN NEW; END $$`.execute(db);
    await sql`CREATE TRIGGER poison BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION fail_on_poison()`.execute(db);
    try {
      const events = [event(), event(), event({ id: 'poison' }), event()];
      const response = await ingest(events);
      expect(response.body.errors?.[0].extensions?.code).toBe('INTERNAL_SERVER_ERROR');
      expect(response.body.errors?.[0].message).not.toMatch(/simulated/);
      expect(await storedCount(events.map((e) => e.id))).toBe(0);
    } finally {
      await sql`DROP TRIGGER poison ON events; DROP FUNCTION fail_on_poison()`.execute(db);
    }
  });

  it('refuses an empty batch and one over 1000 events', async () => {
    expect((await ingest([])).body.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    const big = await ingest(Array.from({ length: 1001 }, () => event()));
    expect(big.body.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(big.body.errors?.[0].message).toMatch(/1000/);
  });
});

describe('funnel', () => {
  const range = lastDays(30);
  async function sqlFunnel(storeId: number) {
    const { rows } = await sql<{ type: string; n: number }>`
      SELECT type, count(*)::int AS n FROM events
       WHERE store_id = ${storeId} AND occurred_at >= ${range.from}::date AND occurred_at < ${range.to}::date + 1
       GROUP BY type`.execute(server.app.services.database.db);
    const count = (type: string) => rows.find((r) => r.type === type)?.n ?? 0;
    return { visits: count('VISIT'), pageViews: count('PAGE_VIEW'), addToCarts: count('ADD_TO_CART'), checkouts: count('CHECKOUT') };
  }

  it('equals SQL over the events table and is fresh right after an ingest', async () => {
    const read = async () => dataOf(await server.request(StoreFunnelDocument, { variables: { id: '2', range } })).store!;
    const before = await read();
    expect(before.funnel).toMatchObject(await sqlFunnel(2));
    expect((await server.request(StoreFunnelDocument, { variables: { id: '2', range } })).headers.get('x-cache')).toBe('HIT');

    const visitsBefore = before.trafficPatterns.reduce((sum, c) => sum + c.visits, 0);
    dataOf(await ingest([event({ storeId: '2' }), event({ storeId: '2', type: 'CHECKOUT', customerId: '424242' })]));
    const after = await read();
    const truth = await sqlFunnel(2);
    expect(after.funnel).toMatchObject(truth);
    expect(after.funnel.visits).toBe(before.funnel.visits + 1);
    expect(after.funnel.checkouts).toBe(before.funnel.checkouts + 1);
    expect(after.funnel.conversionRate).toBeCloseTo(truth.visits ? truth.checkouts / truth.visits : 0, 4);
    expect(after.trafficPatterns.reduce((sum, c) => sum + c.visits, 0)).toBe(visitsBefore + 1);
    expect(after.customerInsights.activeCustomers).toBeGreaterThanOrEqual(before.customerInsights.activeCustomers);
  });

  it('a burst of batches is never stale after the coalescing window', async () => {
    const range1 = lastDays(7);
    const read = async () =>
      dataOf(await server.request(StoreFunnelDocument, { variables: { id: '3', range: range1 } })).store!.funnel.visits;
    await read();
    // Reads between the batches cache answers that later batches of the window make stale.
    for (let i = 0; i < 5; i++) {
      await ingest([event({ storeId: '3' })]);
      await read();
    }
    const { rows } = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM events WHERE store_id = 3 AND type = 'VISIT'
         AND occurred_at >= ${range1.from}::date AND occurred_at < ${range1.to}::date + 1`.execute(server.app.services.database.db);
    // The window's trailing invalidation makes the answer exact: poll for it, bounded by the
    // window plus room for a busy machine, instead of sleeping the window.
    const windowMs = server.app.services.config.INGEST_INVALIDATION_WINDOW_MS;
    let last: number | undefined;
    await waitFor(async () => (last = await read()) === rows[0].n, {
      timeoutMs: windowMs + 2_000,
      intervalMs: 25,
      what: () => `visits ${last} to equal SQL's ${rows[0].n}`,
    });
  });
});
