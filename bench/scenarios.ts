import { readFileSync } from 'node:fs';
import { Random } from '../db/seed/random.js';
import { MAX_RANGE_DAYS, MIN_RANGE_DAYS, MISS_FIELDS, MissCombos, type MissField } from './miss-combos.js';
import type { ServerName } from './servers.js';
import { DAY_MS } from '../src/days.js';

export interface GraphqlBody {
  query: string;
  variables?: Record<string, unknown>;
  operationName?: string;
}

/** What a graphpulse server's data set holds, read from the server once it is ready. */
export interface ServerData {
  /** DEMO_SCALE the data was seeded at. */
  scale: number;
  /** Every store id, ascending. */
  storeIds: string[];
  /** The data's last UTC day, YYYY-MM-DD (the day it was seeded). */
  lastDay: string;
  /** Days the data covers up to lastDay (the seed's window: 180). */
  days: number;
}

/** Called once per request: the body to send. */
export type BodyGenerator = () => GraphqlBody;

export interface Scenario {
  name: string;
  /** Which server child answers it. */
  target: ServerName;
  description: string;
  /**
   * The body of every request, or, for bodies that vary (a Zipf mix of stores and
   * ranges, new events, unseen ranges…), a factory called once per run of the scenario
   * with the server's data set, returning the generator called once per request. The
   * pre-check sends the generator's first few bodies and expects no errors.
   */
  body: GraphqlBody | ((data: ServerData) => BodyGenerator);
  /** Connections for this scenario (default: --connections). */
  connections?: number;
  /** Count responses answered wholly from the cache (hit rate). */
  countHits?: boolean;
  /** Every cached field but `store` must report a MISS (extensions.cache); any hit fails the run. */
  expectMisses?: boolean;
  /** Items (events) each request carries, to report items/s. */
  itemsPerRequest?: number;
}

const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** The last `days` UTC days up to today, inclusive (data seeded at start covers 180 days up to today). */
export function lastDays(days: number): { from: string; to: string } {
  const today = Date.parse(`${isoDay(Date.now())}T00:00:00Z`);
  return { from: isoDay(today - (days - 1) * DAY_MS), to: isoDay(today) };
}

const STORE_REVENUE = `query StoreRevenue($id: ID!, $range: DateRange!) {
  store(id: $id) { revenue(range: $range) { total orders points { period revenue } } }
}`;

/** The dashboard operation the DataLoader tests use, read from its file so the two never drift. */
const DASHBOARD = readFileSync(new URL('../test/operations/store-dashboard.graphql', import.meta.url), 'utf8');

/** Deterministic pseudo-random numbers (the seed generator's PRNG), so every run asks the same mix. */
function random(seed: number): () => number {
  const generator = new Random(seed, 'bench');
  return () => generator.next();
}

/** A Zipf(s = 1) sampler over 0..n-1: item k is drawn with weight 1 / (k + 1). */
function zipf(n: number, next: () => number): () => number {
  const weights = Array.from({ length: n }, (_, k) => 1 / (k + 1));
  const total = weights.reduce((a, b) => a + b, 0);
  const cumulative = weights.map(
    (
      (sum) => (w: number) =>
        (sum += w / total)
    )(0),
  );
  return () => {
    const u = next();
    const index = cumulative.findIndex((c) => u <= c);
    return index === -1 ? n - 1 : index;
  };
}

/** 12 dashboard ranges: the last 7/14/30/90 days, and 8 calendar weeks ending 1..8 weeks ago. */
const RANGES = [
  lastDays(7),
  lastDays(14),
  lastDays(30),
  lastDays(90),
  ...Array.from({ length: 8 }, (_, w) => {
    const end = Date.parse(`${lastDays(1).to}T00:00:00Z`) - (w + 1) * 7 * DAY_MS;
    return { from: isoDay(end - 6 * DAY_MS), to: isoDay(end) };
  }),
];

/** The server's stores × 12 ranges, Zipf-distributed over the combinations (popular dashboards dominate). */
function zipfMix(data: ServerData): BodyGenerator {
  const stores = data.storeIds.length;
  const pick = zipf(stores * RANGES.length, random(7));
  return () => {
    const k = pick();
    return {
      query: STORE_REVENUE,
      operationName: 'StoreRevenue',
      variables: { id: data.storeIds[k % stores], range: RANGES[Math.floor(k / stores)] },
    };
  };
}

/** What each miss scenario selects of each field (no nested @cached field: `product` would hit). */
const MISS_SELECTIONS: Record<MissField, string> = {
  revenue: 'revenue(range: $range) { total orders points { period revenue } }',
  topProducts: 'topProducts(range: $range) { unitsSold revenue margin }',
  trafficPatterns: 'trafficPatterns(range: $range) { dayOfWeek hour orders revenue visits }',
  customerInsights: 'customerInsights(range: $range) { activeCustomers newCustomers returningCustomers repeatRate averageLifetimeValue }',
};

/** One MissCombos per server data set: every miss scenario of a run draws from it, so none repeats another's. */
const missCombos = new WeakMap<ServerData, MissCombos>();

/** Bodies asking `fields` of a store and range never asked before for any of them in this run. */
function missMix(fields: readonly MissField[]): (data: ServerData) => BodyGenerator {
  const operationName = `Miss${fields.length === 1 ? fields[0][0].toUpperCase() + fields[0].slice(1) : 'All'}`;
  const query = `query ${operationName}($id: ID!, $range: DateRange!) {
  store(id: $id) { ${fields.map((f) => MISS_SELECTIONS[f]).join(' ')} }
}`;
  return (data) => {
    let combos = missCombos.get(data);
    if (!combos) missCombos.set(data, (combos = new MissCombos(data.storeIds, data.lastDay, data.days)));
    const source = combos;
    return () => {
      const { storeId, range } = source.next(fields);
      return { query, operationName, variables: { id: storeId, range } };
    };
  };
}

const INGEST = `mutation Ingest($events: [EventInput!]!) { ingestEvents(events: $events) { accepted duplicates } }`;
const TYPES = ['VISIT', 'PAGE_VIEW', 'ADD_TO_CART', 'CHECKOUT'];
const runId = `${process.pid}-${Date.now().toString(36)}`;
/** Bodies of `count` new events each (unique ids: every one is stored), over the server's stores and the last hour. */
function events(count: number): (data: ServerData) => BodyGenerator {
  return (data) => {
    let serial = 0;
    const stream = `${runId}-${count}`;
    return () => {
      const now = Date.now();
      return {
        query: INGEST,
        operationName: 'Ingest',
        variables: {
          events: Array.from({ length: count }, () => {
            serial += 1;
            return {
              id: `bench-${stream}-${serial}`,
              storeId: data.storeIds[serial % data.storeIds.length],
              type: TYPES[serial % 4],
              occurredAt: new Date(now - (serial % 3600) * 1000).toISOString(),
              sessionId: `s-${serial % 5000}`,
            };
          }),
        },
      };
    };
  };
}

/** A cached field next to an uncached one: every cached field hits, the operation can never be stored whole. */
const PARTIAL = `query Partial($range: DateRange!) {
  categories { id }
  store(id: "1") { revenue(range: $range) { total orders points { period revenue } } }
}`;

/** Every scenario, in run order. Later work adds entries here (mixes, mutations, cache-cold runs…). */
export const SCENARIOS: readonly Scenario[] = [
  {
    name: 'baseline',
    target: 'baseline',
    description: '{ __typename } on a bare Apollo Server 5: the ceiling every ratio divides by',
    body: { query: '{ __typename }' },
  },
  {
    name: 'store.revenue',
    target: 'graphpulse',
    description: 'one store, 30-day daily revenue series',
    body: { query: STORE_REVENUE, operationName: 'StoreRevenue', variables: { id: '1', range: lastDays(30) } },
  },
  {
    name: 'store.revenue:fields',
    target: 'graphpulse-fields',
    description: 'the same with the hot path off: every request through Apollo, each cached field an L1 hit',
    body: { query: STORE_REVENUE, operationName: 'StoreRevenue', variables: { id: '1', range: lastDays(30) } },
  },
  {
    name: 'partial-hit',
    target: 'graphpulse',
    description: 'store.revenue (a hit) beside categories (8 rows, uncached): per-field hits, never stored whole',
    body: { query: PARTIAL, operationName: 'Partial', variables: { range: lastDays(30) } },
  },
  {
    name: 'zipf-mix',
    target: 'graphpulse',
    description: 'store.revenue over the stores (4 at scale 0.05) x 12 ranges, Zipf-distributed; hit rate counted',
    body: zipfMix,
    countHits: true,
  },
  {
    name: 'dashboard',
    target: 'graphpulse',
    description: 'stores(first: 20) with revenue, top products (product, category) and inventory, 30 days',
    body: { query: DASHBOARD, operationName: 'StoreDashboard', variables: { first: 20, range: lastDays(30) } },
  },
  {
    name: 'dashboard:fields',
    target: 'graphpulse-fields',
    description: 'the dashboard with the hot path off (per-field cache only)',
    body: { query: DASHBOARD, operationName: 'StoreDashboard', variables: { first: 20, range: lastDays(30) } },
  },
  {
    name: 'cached-read:metrics-off',
    target: 'graphpulse-metrics-off',
    description: 'store.revenue (hot path) on a server with instrumentation off: on/off = store.revenue / this',
    body: { query: STORE_REVENUE, operationName: 'StoreRevenue', variables: { id: '1', range: lastDays(30) } },
  },
  {
    name: 'ingest:batch',
    target: 'graphpulse',
    description: 'ingestEvents with 1,000 new events per call, 8 connections',
    body: events(1000),
    connections: 8,
    itemsPerRequest: 1000,
  },
  {
    name: 'ingest:single',
    target: 'graphpulse',
    description: 'ingestEvents with one new event per call',
    body: events(1),
    // An ingestion client's pool, like the batch scenario: p99 is then the call's own latency, not a queue.
    connections: 8,
    itemsPerRequest: 1,
  },
  // The miss scenarios: their own server on the scale-1 data set (scale 0.01 with --smoke), run last.
  {
    name: 'miss',
    target: 'graphpulse-miss',
    description: `revenue, topProducts, trafficPatterns and customerInsights of a store and ${MIN_RANGE_DAYS}-${MAX_RANGE_DAYS}-day range never asked before in the run (graphpulse as shipped), 20 connections`,
    body: missMix(MISS_FIELDS),
    connections: 20,
    expectMisses: true,
  },
  ...MISS_FIELDS.map((field): Scenario => ({
    name: `miss:${field}`,
    target: 'graphpulse-miss',
    description: `Store.${field} alone, of a store and range never asked before for it in the run, 20 connections`,
    body: missMix([field]),
    connections: 20,
    expectMisses: true,
  })),
];

/** The baseline plus the named scenarios (all when `names` is empty); throws on an unknown name. */
export function selectScenarios(names: string[]): Scenario[] {
  const unknown = names.filter((n) => !SCENARIOS.some((s) => s.name === n));
  if (unknown.length) {
    throw new Error(`Unknown scenario ${unknown.map((n) => `"${n}"`).join(', ')}; known: ${SCENARIOS.map((s) => s.name).join(', ')}`);
  }
  return SCENARIOS.filter((s) => s.name === 'baseline' || names.length === 0 || names.includes(s.name));
}

/** The per-request body source of one run of `scenario` against a server holding `data` (null: the baseline). */
export function bodyGenerator(scenario: Scenario, data: ServerData | null): BodyGenerator {
  const { body } = scenario;
  if (typeof body !== 'function') return () => body;
  if (!data) throw new Error(`scenario ${scenario.name} varies its bodies over a data set, but its server ${scenario.target} has none`);
  return body(data);
}
