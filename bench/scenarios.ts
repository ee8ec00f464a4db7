import { readFileSync } from 'node:fs';
import { Random } from '../db/seed/random.js';
import type { ServerName } from './servers.js';

export interface GraphqlBody {
  query: string;
  variables?: Record<string, unknown>;
  operationName?: string;
}

export interface Scenario {
  name: string;
  /** Which server child answers it. */
  target: ServerName;
  description: string;
  /**
   * The body of every request, or a generator called once per request for bodies that
   * vary (e.g. a Zipf mix of stores and ranges). A generator must be deterministic in
   * what it may produce: the pre-check sends its first few bodies and expects no errors.
   */
  body: GraphqlBody | (() => GraphqlBody);
  /** Connections for this scenario (default: --connections). */
  connections?: number;
  /** Count responses answered wholly from the cache (hit rate). */
  countHits?: boolean;
  /** Items (events) each request carries, to report items/s. */
  itemsPerRequest?: number;
}

const DAY_MS = 86_400_000;
const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** The last `days` UTC days up to today, inclusive (the demo data covers 180 days up to today). */
export function lastDays(days: number): { from: string; to: string } {
  const today = Date.parse(`${isoDay(Date.now())}T00:00:00Z`);
  return { from: isoDay(today - (days - 1) * DAY_MS), to: isoDay(today) };
}

const STORE_REVENUE = `query StoreRevenue($id: ID!, $range: DateRange!) {
  store(id: $id) { revenue(range: $range) { total orders points { period revenue } } }
}`;

/** The dashboard operation the DataLoader tests use, read from its file so the two never drift. */
const DASHBOARD = readFileSync(new URL('../test/operations/store-dashboard.graphql', import.meta.url), 'utf8');

const STORE_COUNT = 4; // the demo seed at scale 0.05 (and 0.01) has 4 stores

/** Deterministic pseudo-random numbers (the seed generator's PRNG), so every run asks the same mix. */
function random(seed: number): () => number {
  const generator = new Random(seed, 'bench');
  return () => generator.next();
}

/** A Zipf(s = 1) sampler over 0..n-1: item k is drawn with weight 1 / (k + 1). */
function zipf(n: number, next: () => number): () => number {
  const weights = Array.from({ length: n }, (_, k) => 1 / (k + 1));
  const total = weights.reduce((a, b) => a + b, 0);
  const cumulative = weights.map(((sum) => (w: number) => (sum += w / total))(0));
  return () => {
    const u = next();
    const index = cumulative.findIndex((c) => u <= c);
    return index === -1 ? n - 1 : index;
  };
}

/** 12 dashboard ranges: the last 7/14/30/90 days, and 8 calendar weeks ending 1..8 weeks ago. */
const RANGES = [lastDays(7), lastDays(14), lastDays(30), lastDays(90), ...Array.from({ length: 8 }, (_, w) => {
  const end = Date.parse(`${lastDays(1).to}T00:00:00Z`) - (w + 1) * 7 * DAY_MS;
  return { from: isoDay(end - 6 * DAY_MS), to: isoDay(end) };
})];

/** stores × 12 ranges, Zipf-distributed over the 48 combinations (popular dashboards dominate). */
const zipfMix = (() => {
  const pick = zipf(STORE_COUNT * RANGES.length, random(7));
  return (): GraphqlBody => {
    const k = pick();
    return { query: STORE_REVENUE, operationName: 'StoreRevenue', variables: { id: String((k % STORE_COUNT) + 1), range: RANGES[Math.floor(k / STORE_COUNT)] } };
  };
})();

/** A range that is almost never asked twice: random start in the 180 days, random length up to 60 days. */
const missMix = (() => {
  const next = random(11);
  const today = Date.parse(`${lastDays(1).to}T00:00:00Z`);
  return (): GraphqlBody => {
    const end = today - Math.floor(next() * 120) * DAY_MS;
    const length = 1 + Math.floor(next() * 60);
    const range = { from: isoDay(end - (length - 1) * DAY_MS), to: isoDay(end) };
    return { query: STORE_REVENUE, operationName: 'StoreRevenue', variables: { id: String(1 + Math.floor(next() * STORE_COUNT)), range } };
  };
})();

const INGEST = `mutation Ingest($events: [EventInput!]!) { ingestEvents(events: $events) { accepted duplicates } }`;
const TYPES = ['VISIT', 'PAGE_VIEW', 'ADD_TO_CART', 'CHECKOUT'];
let eventSerial = 0;
const runId = `${process.pid}-${Date.now().toString(36)}`;
/** `count` new events (unique ids: every one is stored), spread over the last hour. */
function events(count: number): GraphqlBody {
  const now = Date.now();
  return {
    query: INGEST,
    operationName: 'Ingest',
    variables: {
      events: Array.from({ length: count }, () => {
        eventSerial += 1;
        return {
          id: `bench-${runId}-${eventSerial}`,
          storeId: String((eventSerial % STORE_COUNT) + 1),
          type: TYPES[eventSerial % 4],
          occurredAt: new Date(now - (eventSerial % 3600) * 1000).toISOString(),
          sessionId: `s-${eventSerial % 5000}`,
        };
      }),
    },
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
    name: 'store.revenue:miss',
    target: 'graphpulse-fields',
    description: 'random store and range each request (start in the last 120 days, 1-60 days long): the miss path',
    body: missMix,
  },
  {
    name: 'zipf-mix',
    target: 'graphpulse',
    description: 'store.revenue over 4 stores x 12 ranges, Zipf-distributed; hit rate counted',
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
    body: () => events(1000),
    connections: 8,
    itemsPerRequest: 1000,
  },
  {
    name: 'ingest:single',
    target: 'graphpulse',
    description: 'ingestEvents with one new event per call',
    body: () => events(1),
    // An ingestion client's pool, like the batch scenario: p99 is then the call's own latency, not a queue.
    connections: 8,
    itemsPerRequest: 1,
  },
];

/** The baseline plus the named scenarios (all when `names` is empty); throws on an unknown name. */
export function selectScenarios(names: string[]): Scenario[] {
  const unknown = names.filter((n) => !SCENARIOS.some((s) => s.name === n));
  if (unknown.length) {
    throw new Error(`Unknown scenario ${unknown.map((n) => `"${n}"`).join(', ')}; known: ${SCENARIOS.map((s) => s.name).join(', ')}`);
  }
  return SCENARIOS.filter((s) => s.name === 'baseline' || names.length === 0 || names.includes(s.name));
}

/** A fixed body, or the generator's next one. */
export const nextBody = (scenario: Scenario): GraphqlBody => (typeof scenario.body === 'function' ? scenario.body() : scenario.body);
