import { randomUUID } from 'node:crypto';
import { DateTimeResolver } from 'graphql-scalars';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DateTimeScalar } from '../src/schema/scalars/index.js';
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

  it('stores occurredAt to the millisecond in every accepted form, in a batch and alone', async () => {
    const base = Date.now() - 10 * 60_000;
    const second = base - (base % 1000);
    const iso = (ms: number) => new Date(ms).toISOString();
    const sent = [
      iso(second + 999),
      iso(second + 1),
      iso(second).replace('.000Z', 'Z'),
      // Not the canonical UTC shape: parsed by graphql-scalars' general path (to the millisecond, as a JS Date).
      iso(second + 123).replace('Z', '456+00:00'),
    ];
    const expected = [second + 999, second + 1, second, second + 123];
    const batch = sent.map((occurredAt) => event({ occurredAt }));
    const alone = sent.map((occurredAt) => event({ occurredAt }));
    expect(dataOf(await ingest(batch)).ingestEvents).toMatchObject({ accepted: batch.length, rejected: [] });
    for (const e of alone) expect(dataOf(await ingest([e])).ingestEvents).toMatchObject({ accepted: 1, rejected: [] });
    const { rows } = await sql<{ id: string; micros: string }>`
      SELECT id, (extract(epoch FROM occurred_at) * 1000000)::bigint::text AS micros FROM events
       WHERE id = ANY(${[...batch, ...alone].map((e) => String(e.id))})`.execute(server.app.services.database.db);
    const stored = new Map(rows.map((r) => [r.id, r.micros]));
    sent.forEach((text, i) => {
      const micros = String(expected[i] * 1000);
      expect({ text, batch: stored.get(String(batch[i].id)), alone: stored.get(String(alone[i].id)) }).toEqual({
        text,
        batch: micros,
        alone: micros,
      });
    });
  });

  it('stores text and properties that need quoting exactly as sent', async () => {
    const awkward = ['NULL', 'null', 'a "quoted" \\ back\\slash', '{braces},commas', '  padded  ', 'ünïcödé ✓', ''];
    const events = awkward.map((text, i) =>
      event({ sessionId: text, customerId: i % 2 ? '42' : null, properties: { text, nested: { list: [text, 1, null] } } }),
    );
    const single = event({ sessionId: awkward[2], properties: { text: awkward[2] } });
    expect(dataOf(await ingest(events)).ingestEvents).toMatchObject({ accepted: events.length, rejected: [] });
    expect(dataOf(await ingest([single])).ingestEvents).toMatchObject({ accepted: 1, rejected: [] });
    const { rows } = await sql<{ id: string; session_id: string | null; customer_id: number | null; properties: unknown }>`
      SELECT id, session_id, customer_id, properties FROM events WHERE id = ANY(${[...events, single].map((e) => String(e.id))})`.execute(
      server.app.services.database.db,
    );
    const byId = new Map(rows.map((r) => [r.id, r]));
    for (const e of [...events, single]) {
      expect(byId.get(String(e.id))).toEqual({
        id: e.id,
        // An empty sessionId is stored as sent; only an absent one is null.
        session_id: e.sessionId ?? null,
        customer_id: e.customerId ? Number(e.customerId) : null,
        properties: e.properties,
      });
    }
  });

  it('refuses an empty batch and one over 1000 events', async () => {
    expect((await ingest([])).body.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    const big = await ingest(Array.from({ length: 1001 }, () => event()));
    expect(big.body.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(big.body.errors?.[0].message).toMatch(/1000/);
  });
});

describe('DateTime variables', () => {
  // The scalar takes a shortcut for canonical UTC strings; it must accept, refuse and
  // return exactly what graphql-scalars' DateTime does for every string.
  const outcome = (parse: (value: unknown) => unknown, value: unknown) => {
    try {
      return { time: (parse(value) as Date).getTime() };
    } catch (error) {
      return { error: (error as Error).message };
    }
  };
  const same = (value: unknown) =>
    expect(outcome((v) => DateTimeScalar.parseValue(v), value)).toEqual(outcome((v) => DateTimeResolver.parseValue(v), value));

  it('parses like graphql-scalars on the edges of the calendar and the clock', () => {
    const edges = [
      '2024-02-29T00:00:00Z',
      '2023-02-29T00:00:00Z',
      '2000-02-29T12:00:00.000Z',
      '1900-02-29T12:00:00Z',
      '0000-02-29T00:00:00Z',
      '0099-12-31T23:59:59.999Z',
      '2024-04-31T00:00:00Z',
      '2024-12-31T24:00:00Z',
      '2024-12-31T23:60:00Z',
      '2024-12-31T23:59:60Z',
      '2024-13-01T00:00:00Z',
      '2024-00-10T00:00:00Z',
      '2024-01-00T00:00:00Z',
      '2024-01-01t00:00:00z',
      '2024-01-01T00:00:00.1Z',
      '2024-01-01T00:00:00.1234Z',
      '2024-01-01T00:00:00+02:00',
      '2024-01-01T00:00:00|02:00',
      '2024-01-01T00:00:00',
      '2024-01-01 00:00:00Z',
      '+02024-01-01T00:00:00Z',
      '2024-1-01T00:00:00.000Z',
      '2024-01-01T00:00:0a.000Z',
      '',
      new Date(0),
      new Date(Number.NaN),
      1_700_000_000,
      null,
      {},
    ];
    for (const value of edges) same(value);
  });

  it('parses like graphql-scalars for many random near-canonical strings', () => {
    const pad = (n: number, width: number) => String(n).padStart(width, '0');
    const int = (below: number) => Math.floor(Math.random() * below);
    const noise = '0123456789-:TZ.tz+ ';
    for (let i = 0; i < 20_000; i++) {
      let text = `${pad(int(10_000), 4)}-${pad(int(14), 2)}-${pad(int(33), 2)}T${pad(int(25), 2)}:${pad(int(61), 2)}:${pad(int(62), 2)}${
        i % 2 ? `.${pad(int(1000), 3)}` : ''
      }Z`;
      if (i % 3 === 0) {
        const at = int(text.length);
        text = text.slice(0, at) + noise[int(noise.length)] + text.slice(at + 1);
      }
      same(text);
    }
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
