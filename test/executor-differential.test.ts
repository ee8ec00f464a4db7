/**
 * Differential test of the two executors (EXECUTOR=jit, the default: graphql-jit behind
 * Apollo's executor seam, and EXECUTOR=graphql-js, the reference).
 *
 * Two servers start on cold caches, each on its own clone of the template database and
 * with no REDIS_URL (each has its own L1 only). The same corpus runs on both, in the same
 * order, step by step: every operation of test/operations/, every ```graphql example of
 * README.md, the attack corpus of abuse.test.ts and the error cases. Each step must give
 * the same HTTP status and the same body — `data`, `errors` (message, path, locations,
 * extensions with `code`) and `extensions` (cost, cache) — once the few values that
 * legitimately differ between two processes and two databases are normalised (see
 * `normalise`, one comment per rule). Finally graphql-jit must have compiled every
 * operation: no fallback to graphql-js, in Metrics.execution and per step.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { ANALYTIC_FIELDS } from './helpers/constants.js';
import {
  Kind,
  TypeInfo,
  buildSchema,
  getNamedType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  parse,
  print,
  typeFromAST,
  visit,
  visitWithTypeInfo,
  type DocumentNode,
  type GraphQLInputType,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as generated from './generated/graphql.js';
import { lastDays, utcDaysAgo } from './helpers/dates.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

// ---------------------------------------------------------------------------------------
// The two servers

type Executor = 'jit' | 'graphql-js';
type Who = 'admin' | 'viewer' | 'ingest' | 'scoped' | 'anonymous' | 'unknown';

interface Side {
  executor: Executor;
  server: TestServer;
  keys: Record<Who, string | null>;
  /** Values read from earlier answers of this side (cursors, ids), for later variables. */
  state: Record<string, any>;
}

/**
 * The same settings on both sides; each is about timing or scheduling, never about execution:
 * - HOT_PATH=false: every request reaches Apollo and the executor (the hot path would replay
 *   the bytes of an earlier execution and compare nothing);
 * - INGEST_INVALIDATION_WINDOW_MS=1: ingestion invalidates at once, not on a 250 ms trailing
 *   edge that the next read could beat on one side and not on the other;
 * - no scheduled jobs: their ids and run times depend on when each server started;
 * - SLOW_QUERY_MS high: which statement is "slow" is timing, so slowQueries stays empty on both.
 */
const ENV = {
  HOT_PATH: 'false',
  INGEST_INVALIDATION_WINDOW_MS: '1',
  JOB_REFRESH_CRON: 'off',
  JOB_CLEANUP_CRON: 'off',
  SLOW_QUERY_MS: '600000',
};

const sides: Side[] = [];
const schema: GraphQLSchema = buildSchema(readFileSync(new URL('../schema.graphql', import.meta.url), 'utf8'));

async function startSide(executor: Executor): Promise<Side> {
  const server = await startTestServer({ env: { ...ENV, EXECUTOR: executor } });
  // Cold and separate: no Redis (L1 only, nothing shared), the executor asked for.
  expect({ redis: server.app.services.config.REDIS_URL, executor: server.app.services.config.EXECUTOR }).toEqual({
    redis: undefined,
    executor,
  });
  const side: Side = {
    executor,
    server,
    keys: { admin: server.adminKey, viewer: null, ingest: null, scoped: null, anonymous: null, unknown: 'gp_not_a_key_0000000000000000' },
    state: {},
  };
  const create = async (name: string, role: string, storeIds?: string[]) => {
    const response = await server.request<{ createApiKey: { id: string; key: string } }>(
      'mutation Key($name: String!, $role: Role!, $storeIds: [ID!]) { createApiKey(name: $name, role: $role, storeIds: $storeIds) { id key } }',
      { variables: { name, role, storeIds: storeIds ?? null } },
    );
    if (!response.body.data) throw new Error(`createApiKey failed on ${executor}: ${JSON.stringify(response.body)}`);
    return response.body.data.createApiKey.key;
  };
  side.keys.viewer = await create('differential viewer', 'VIEWER');
  side.keys.ingest = await create('differential ingest', 'INGEST');
  side.keys.scoped = await create('differential store 1', 'VIEWER', ['1']);
  return side;
}

// ---------------------------------------------------------------------------------------
// The corpus

type Vars = Record<string, unknown>;

interface Step {
  label: string;
  group: 'operations' | 'readme' | 'attacks' | 'errors' | 'variables' | 'features';
  /** Document text (absent for raw HTTP steps). */
  query?: string;
  operationName?: string;
  variables?: Vars | ((side: Side) => Vars);
  as?: Who;
  /** A raw HTTP request (attacks on the HTTP layer). */
  raw?: (side: Side) => Promise<Response>;
  /** Keys whose value is a timestamp of "now" taken during this request (normalised, see below). */
  recent?: string[];
  /** Keys whose value is a freshly generated secret. */
  secret?: string[];
  /** data.metrics measures the process: compared by shape. */
  metrics?: boolean;
  remember?: (side: Side, body: any) => void;
}

/** Every operation of test/operations/ by name, as codegen printed it (with the fragments it uses). */
const OPERATIONS = new Map<string, { text: string; document: DocumentNode; kind: string }>();
for (const [exportName, value] of Object.entries(generated)) {
  if (!exportName.endsWith('Document') || (value as { kind?: string })?.kind !== Kind.DOCUMENT) continue;
  const document = value as unknown as DocumentNode;
  const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  if (operation?.name) OPERATIONS.set(operation.name.value, { text: print(document), document, kind: operation.operation });
}
/** Operations of test/operations/ the corpus does not run, and why. */
const NOT_RUN: Record<string, string> = {
  JobEvents: 'a subscription (graphql-ws, not an HTTP execution)',
};
const usedOperations = new Set<string>();
const counters = new Map<string, number>();

function op(
  name: string,
  options: Omit<Step, 'label' | 'group' | 'query' | 'operationName'> & { label?: string; group?: Step['group'] } = {},
): Step {
  const operation = OPERATIONS.get(name);
  if (!operation) throw new Error(`No operation ${name} in test/operations (run npm run codegen?)`);
  usedOperations.add(name);
  const n = (counters.get(name) ?? 0) + 1;
  counters.set(name, n);
  return { group: 'operations', ...options, label: options.label ?? `${name}#${n}`, query: operation.text, operationName: name };
}

function text(label: string, group: Step['group'], query: string, options: Omit<Step, 'label' | 'group' | 'query'> = {}): Step {
  return { label, group, query, ...options };
}

const R30 = lastDays(30);
const R7 = lastDays(7);
const R180 = lastDays(180);
/** Closed days only (read from the materialized views). */
const CLOSED = { from: utcDaysAgo(120), to: utcDaysAgo(61) };
const BACKWARDS = { from: R7.to, to: R7.from };
const TOO_LONG = { from: '2020-01-01', to: '2022-12-31' };
const rangeLiteral = `{from: "${R30.from}", to: "${R30.to}"}`;
const TWO_HOURS_AGO = new Date(Date.now() - 2 * 3_600_000).toISOString();
const ONE_HOUR_AGO = new Date(Date.now() - 3_600_000).toISOString();
const CLOSED_DAY_NOON = `${utcDaysAgo(90)}T12:00:00.000Z`;
/** A product stocked at store 1, read from each side's own answer. */
const stocked = (side: Side) => side.state.stocked as string;
const JOB_TIMES = ['createdAt', 'startedAt', 'finishedAt'];

const EVENTS = [
  {
    id: 'diff-1',
    storeId: '1',
    type: 'VISIT',
    occurredAt: ONE_HOUR_AGO,
    sessionId: 'ds-1',
    properties: { path: '/', tags: ['a', 1, null, true], nested: { x: 1.5 } },
  },
  {
    id: 'diff-2',
    storeId: '1',
    type: 'PAGE_VIEW',
    occurredAt: ONE_HOUR_AGO,
    sessionId: 'ds-1',
    customerId: '1',
    properties: 'a string is JSON too',
  },
  { id: 'diff-3', storeId: '1', type: 'ADD_TO_CART', occurredAt: ONE_HOUR_AGO, sessionId: 'ds-1', properties: null },
  { id: 'diff-4', storeId: '1', type: 'CHECKOUT', occurredAt: ONE_HOUR_AGO, sessionId: 'ds-1', properties: [1, 2, 3] },
  { id: 'diff-5', storeId: '999999', type: 'VISIT', occurredAt: ONE_HOUR_AGO },
  { id: 'diff-6', storeId: '2', type: 'VISIT', occurredAt: '2001-01-01T00:00:00Z' },
];

/** Operations of test/operations/, and features the other files do not show. Reads first, then writes, then reads again. */
function operationSteps(): Step[] {
  const storeEverything = (extra: Vars) => ({ id: '1', range: R30, week: R7, withDetails: true, ...extra });
  return [
    op('DiffIntrospection'),
    op('TProductsPage', { variables: { first: 5 } }),
    op('TProductsPage', { variables: { first: 3, search: 'a' } }),
    op('TProductsPage', { variables: { first: 2, categoryId: '1' } }),
    op('TProductsPage', {
      variables: { first: 3 },
      remember: (side, body) => (side.state.productsCursor = body.data?.products.pageInfo.endCursor),
    }),
    op('TProductsPage', { variables: (side) => ({ first: 3, after: side.state.productsCursor }) }),
    op('TProductsPage', { variables: { first: 2, categoryId: '2', search: 'e' } }),
    op('TStoresPage', {
      variables: { first: 2 },
      remember: (side, body) => (side.state.storesCursor = body.data?.stores.pageInfo.endCursor),
    }),
    op('TStoresPage', { variables: (side) => ({ first: 2, after: side.state.storesCursor }) }),
    op('StoreDashboard', { variables: { first: 3, range: R30 } }),
    op('StoreCard', { variables: { id: '1', range: R30 } }),
    op('TStoreRevenue', { variables: { id: '2', range: CLOSED, granularity: 'WEEK' } }),
    op('TStoreAnalytics', { variables: { id: '2', range: CLOSED, limit: 5 } }),
    // $granularity not given: the argument's default (DAY) applies.
    op('TStoreRevenue', { variables: { id: '1', range: R7 } }),
    // Variable defaults ($granularity = WEEK, $skipFunnel = false, $status = ALL) and an omitted $limit.
    op('DiffStoreEverything', { variables: storeEverything({}) }),
    op('DiffStoreEverything', {
      variables: storeEverything({
        id: '2',
        range: CLOSED,
        granularity: 'MONTH',
        withDetails: false,
        skipFunnel: true,
        status: 'LOW',
        limit: 2,
      }),
    }),
    op('DiffStoreEverything', { variables: storeEverything({ id: '3', granularity: 'DAY', status: 'OK', limit: 1 }) }),
    op('DiffStoreEverything', { variables: storeEverything({ id: '999999' }) }),
    op('DiffStoreEverything', { as: 'scoped', variables: storeEverything({}) }),
    op('DiffStoreEverything', { as: 'viewer', variables: storeEverything({ id: '2', withDetails: false }) }),
    op('TStoreRevenue', { variables: { id: '1', range: R180, granularity: 'MONTH' } }),
    op('TStoreRevenue', { variables: { id: '3', range: R30, granularity: 'DAY' } }),
    op('TStoreAnalytics', { variables: { id: '3', range: R30, limit: 5 } }),
    op('TStoreInventory', { variables: { id: '1', status: 'LOW', first: 10 } }),
    op('TStoreInventory', {
      variables: { id: '1', status: 'OK', first: 3 },
      remember: (side, body) => (side.state.stocked = body.data?.store.inventory[0]?.product.id ?? '1'),
    }),
    op('TStoreInventory', { variables: { id: '2', status: 'ALL', first: 100 } }),
    op('ProductDetails', { variables: { id: '1', range: R30, storeId: '1' } }),
    op('ProductDetails', { variables: { id: '2', range: CLOSED, storeId: '2' } }),
    op('DiffCatalogAnalytics', {
      variables: { productId: '3', customerId: '1', range: R30, storeId: '1', storeIds: ['1', '3'], granularity: 'WEEK' },
    }),
    op('DiffCatalogAnalytics', {
      variables: { productId: '4', customerId: '7', range: CLOSED, storeId: '2', granularity: 'MONTH', limit: 1 },
    }),
    op('DiffCatalogAnalytics', {
      as: 'scoped',
      variables: { productId: '5', customerId: '3', range: R7, storeId: '1', granularity: 'DAY' },
    }),
    op('TProductsAnalytics', { variables: { range: R7, storeId: '2' } }),
    op('TCategoryPerformance', { variables: { range: CLOSED } }),
    op('CategoryLeaderboard', { variables: { range: R30, limit: 3 } }),
    op('CategoryLeaderboard', { variables: { range: CLOSED } }),
    op('CategoryLeaderboard', { variables: { range: R7, limit: 100 } }),
    op('RevenueMetrics', { variables: { range: R30 } }),
    op('RevenueMetrics', { variables: { range: CLOSED, storeIds: ['1', '2'], granularity: 'MONTH' } }),
    // One value where a list is expected: coerced to a list of one.
    op('RevenueMetrics', { variables: { range: R7, storeIds: '1', granularity: 'DAY' } }),
    op('RevenueMetrics', { variables: { range: R30, storeIds: null, granularity: 'WEEK' } }),
    op('CustomerDetails', { variables: { id: '1', first: 3 } }),
    // An Int where an ID is expected: coerced to "5".
    op('CustomerDetails', { variables: { id: 5, first: 1 } }),
    op('TCustomerValue', { variables: { id: '2' } }),
    op('TCustomerOrdersPage', {
      variables: { id: '1', first: 2 },
      remember: (side, body) => (side.state.customerCursor = body.data?.customer.orders.pageInfo.endCursor),
    }),
    op('TCustomerOrdersPage', { variables: (side) => ({ id: '1', first: 2, after: side.state.customerCursor }) }),
    op('OrdersWithRelations', { variables: { first: 10 } }),
    op('OrdersWithRelations', { variables: { first: 5, storeId: '2' } }),
    op('TOrdersPage', {
      variables: { first: 5, storeId: '1', range: R30 },
      remember: (side, body) => (side.state.ordersCursor = body.data?.orders.pageInfo.endCursor),
    }),
    op('TOrdersPage', { variables: (side) => ({ first: 5, storeId: '1', range: R30, after: side.state.ordersCursor }) }),
    op('DiffOrders'),
    op('DiffOrders', { variables: { storeId: '3', range: CLOSED, first: 3, withItems: false } }),
    op('DiffOrders', { as: 'scoped', variables: { first: 3 } }),
    op('OrdersWithRelations', { variables: { first: 5 } }),
    op('TCategoryProductsPage', { variables: { first: 2 } }),
    op('StoreFunnel', { variables: { id: '1', range: R7 } }),
    op('DiffUnknownIds'),
    op('DiffForbiddenNullable'),
    op('DiffMetricsStable'),
    op('MetricsSnapshot', { variables: { top: 100, orderBy: 'COUNT_DESC', slowLimit: 5 }, metrics: true }),
    // One document, two operations: the executor runs the one named.
    text(
      'two operations: B',
      'features',
      'query A { categories { id } } query B { stores(first: 1) { totalCount edges { node { id } } } }',
      { operationName: 'B' },
    ),
    text(
      'two operations: A',
      'features',
      'query A { categories { id } } query B { stores(first: 1) { totalCount edges { node { id } } } }',
      { operationName: 'A' },
    ),
    text('typename only', 'features', '{ __typename }'),
    text(
      'literal arguments, enum literals',
      'features',
      `{ store(id: "2") { revenue(range: ${rangeLiteral}, granularity: WEEK) { total points { period } } inventory(status: OUT) { onHand } } }`,
    ),
    text('repeated field merged, alias of the same field', 'features', '{ categories { id id name } again: categories { id } }'),

    // Writes: the same on both databases, so later reads must still agree.
    // OrderInput's channel (IN_STORE) and placedAt (now) are omitted.
    op('RecordOrder', {
      variables: (side) => ({ input: { storeId: '1', customerId: '1', items: [{ productId: stocked(side), quantity: 2 }] } }),
      recent: ['placedAt'],
    }),
    op('RecordOrder', {
      variables: {
        input: {
          storeId: '2',
          placedAt: TWO_HOURS_AGO,
          channel: 'ONLINE',
          items: [
            { productId: '2', quantity: 1 },
            { productId: '3', quantity: 4 },
          ],
        },
      },
    }),
    // A closed day (pulls the aggregate watermark back); one object where a list is expected.
    op('DiffRecordOrder', {
      variables: {
        input: { storeId: '3', customerId: '2', placedAt: CLOSED_DAY_NOON, channel: 'DELIVERY', items: { productId: '4', quantity: 1 } },
      },
    }),
    op('AdjustInventory', { variables: (side) => ({ storeId: '1', productId: stocked(side), delta: 5 }) }),
    op('AdjustInventory', { variables: (side) => ({ storeId: '1', productId: stocked(side), delta: -1 }) }),
    op('DiffTwoWrites', { variables: (side) => ({ storeId: '1', productId: stocked(side) }) }),
    op('IngestEvents', { as: 'ingest', variables: { events: EVENTS } }),
    op('IngestEvents', { as: 'ingest', variables: { events: EVENTS } }),
    // One event object where the list is expected.
    op('IngestEvents', { variables: { events: { id: 'diff-7', storeId: '3', type: 'VISIT', occurredAt: ONE_HOUR_AGO } } }),
    op('StoreFunnel', { variables: { id: '1', range: R7 } }),
    op('StoreCard', { variables: { id: '1', range: R30 } }),
    op('DiffStoreEverything', { variables: storeEverything({}) }),
    op('TStoreAnalytics', { variables: { id: '3', range: CLOSED, limit: 5 } }),
    op('RevenueMetrics', { variables: { range: R7 } }),
    // The newest orders are the ones written above: their placedAt is each side's own "now".
    op('OrdersWithRelations', { variables: { first: 5 }, recent: ['placedAt'] }),
    op('DiffInvalidateCache', { variables: { tags: ['stores', 'catalog'] } }),
    op('DiffInvalidateCache', { variables: { tags: 'store:1' } }),
    op('StoreDashboard', { variables: { first: 3, range: R30 } }),
    op('CreateApiKey', {
      variables: { name: 'differential made', role: 'VIEWER' },
      secret: ['key'],
      remember: (side, body) => (side.state.madeKeyId = body.data?.createApiKey.id),
    }),
    op('CreateApiKey', { variables: { name: 'differential ingest 1-2', role: 'INGEST', storeIds: ['1', '2'] }, secret: ['key'] }),
    op('RevokeApiKey', { variables: (side) => ({ id: side.state.madeKeyId }) }),
    op('RevokeApiKey', { variables: (side) => ({ id: side.state.madeKeyId }) }),

    // Jobs (no workers run here: jobs stay waiting).
    op('GenerateReport', {
      variables: { kind: 'DAILY_SALES', range: R7, storeIds: ['1'] },
      recent: JOB_TIMES,
      remember: (side, body) => (side.state.reportJob = body.data?.generateReport.id),
    }),
    op('GenerateReport', { variables: { kind: 'DAILY_SALES', range: R7, storeIds: ['1'] }, recent: JOB_TIMES }),
    op('GenerateReport', { variables: { kind: 'INVENTORY', range: CLOSED }, recent: JOB_TIMES }),
    op('RefreshAggregates', { recent: JOB_TIMES }),
    op('WarmCacheJob', {
      variables: { range: R7, storeIds: ['2'] },
      recent: JOB_TIMES,
      remember: (side, body) => (side.state.warmJob = body.data?.warmCache.id),
    }),
    op('WarmCacheJob', { recent: JOB_TIMES }),
    op('JobById', { variables: (side) => ({ id: side.state.reportJob }), recent: JOB_TIMES }),
    op('JobById', { variables: { id: 'no-such-job' } }),
    op('JobList', { variables: { queue: 'reports' }, recent: JOB_TIMES }),
    op('JobList', { variables: { state: 'WAITING', first: 10 }, recent: JOB_TIMES }),
    op('JobList', { recent: JOB_TIMES }),
    op('PauseQueue', { variables: { queue: 'reports' } }),
    op('JobList', { variables: { state: 'PAUSED' }, recent: JOB_TIMES }),
    op('ResumeQueue', { variables: { queue: 'reports' } }),
    op('RetryFailedJobs'),
    op('RetryFailedJobs', { variables: { queue: 'maintenance' } }),
    op('RemoveJob', { variables: (side) => ({ id: side.state.warmJob }) }),
    op('ReportById', { variables: { id: 'no-such-report' } }),
    op('ResetMetrics'),
    op('MetricsSnapshot', { variables: { top: 5 }, metrics: true }),
  ];
}

/** Errors: unknown ids, bad arguments, forbidden roles, nulls that bubble. */
function errorSteps(): Step[] {
  const g = 'errors' as const;
  return [
    // Forbidden roles (FORBIDDEN): whole answer null at a non-null root, one null at a nullable one.
    op('MetricsSnapshot', { group: g, as: 'viewer', variables: {}, label: 'VIEWER reads metrics' }),
    op('DiffForbiddenNullable', { group: g, as: 'viewer', label: 'VIEWER reads a nullable ADMIN field' }),
    op('RecordOrder', {
      group: g,
      as: 'viewer',
      label: 'VIEWER records an order',
      variables: { input: { storeId: '1', items: [{ productId: '1', quantity: 1 }] } },
    }),
    text('VIEWER resets metrics', g, 'mutation { resetMetrics }', { as: 'viewer' }),
    op('TStoresPage', { group: g, as: 'ingest', label: 'INGEST reads stores', variables: { first: 2 } }),
    op('RevenueMetrics', { group: g, as: 'scoped', label: 'store-1 key asks store 2', variables: { range: R7, storeIds: ['2'] } }),
    op('DiffOrders', { group: g, as: 'scoped', label: 'store-1 key lists store 2', variables: { storeId: '2' } }),
    op('CustomerDetails', { group: g, as: 'ingest', label: 'INGEST reads a customer', variables: { id: '1' } }),
    // Nulls that bubble.
    op('DiffNullBubbling', { group: g, variables: { range: R7, bad: BACKWARDS } }),
    op('DiffListBubbling', { group: g, variables: { bad: TOO_LONG } }),
    // Bad arguments (BAD_USER_INPUT from resolvers or before execution).
    text('first below zero', g, '{ stores(first: -1) { totalCount } }'),
    text('limit zero', g, `{ categoryLeaderboard(range: ${rangeLiteral}, limit: 0) { revenue } }`),
    text('id not a number (nullable root)', g, '{ store(id: "abc") { id } categories { id } }'),
    text('id zero', g, '{ product(id: "0") { id } }'),
    text('search too long', g, `{ products(search: "${'x'.repeat(101)}") { totalCount } }`),
    text('cursor not ours', g, '{ orders(after: "garbage") { totalCount } }'),
    text('no tags', g, 'mutation { invalidateCache(tags: []) }'),
    text('bad tag', g, 'mutation { invalidateCache(tags: ["bad tag!"]) }'),
    text('unknown queue', g, 'mutation { pauseQueue(queue: "nope") }'),
    text('jobs first 0', g, '{ jobs(first: 0) { id } }'),
    text('job id not an id', g, '{ job(id: "bad id!") { id } }'),
    op('RetryJob', { group: g, label: 'retry a waiting job', variables: (side) => ({ id: side.state.reportJob }) }),
    op('RetryJob', { group: g, label: 'retry an unknown job', variables: { id: 'no-such-job' } }),
    text('remove an unknown job', g, 'mutation { removeJob(id: "no-such-job") }'),
    text('empty API key name', g, 'mutation { createApiKey(name: " ", role: VIEWER) { id } }'),
    text('empty storeIds', g, 'mutation { createApiKey(name: "x", role: VIEWER, storeIds: []) { id } }'),
    text('no events', g, 'mutation { ingestEvents(events: []) { accepted } }'),
    text('delta zero', g, 'mutation { adjustInventory(storeId: "1", productId: "1", delta: 0) { onHand } }'),
    text('stock below zero', g, 'mutation A($p: ID!) { adjustInventory(storeId: "1", productId: $p, delta: -999999) { onHand } }', {
      variables: (side) => ({ p: stocked(side) }),
    }),
    text(
      'order in the future',
      g,
      `mutation { recordOrder(input: {storeId: "1", placedAt: "2099-01-01T00:00:00Z", items: [{productId: "1", quantity: 1}]}) { id } }`,
    ),
    text('quantity zero', g, 'mutation { recordOrder(input: {storeId: "1", items: [{productId: "1", quantity: 0}]}) { id } }'),
    text('range backwards (literal)', g, `{ revenueMetrics(range: {from: "2024-02-01", to: "2024-01-01"}) { total } }`),
    text('range too long (literal)', g, `{ revenueMetrics(range: {from: "2020-01-01", to: "2022-12-31"}) { total } }`),
    text('literal not a calendar day', g, `{ revenueMetrics(range: {from: "2024-02-30", to: "2024-03-01"}) { total } }`),
    // Unknown ids (NOT_FOUND where a write or a lookup names them).
    text('unknown store in a write', g, 'mutation { adjustInventory(storeId: "999999", productId: "1", delta: 1) { onHand } }'),
    text(
      'unknown product in an order',
      g,
      'mutation { recordOrder(input: {storeId: "1", items: [{productId: "999999", quantity: 1}]}) { id } }',
    ),
    text(
      'unknown customer in an order',
      g,
      'mutation { recordOrder(input: {storeId: "1", customerId: "999999", items: [{productId: "1", quantity: 1}]}) { id } }',
    ),
    text(
      'unknown store in a report',
      g,
      `mutation { generateReport(kind: DAILY_SALES, range: ${rangeLiteral}, storeIds: ["999999"]) { id } }`,
    ),
    text('unknown store in warmCache', g, 'mutation { warmCache(storeIds: ["999999"]) { id } }'),
    text('unknown store in a key', g, 'mutation { createApiKey(name: "x", role: VIEWER, storeIds: ["999999"]) { id } }'),
    op('RevokeApiKey', { group: g, label: 'revoke an unknown key', variables: { id: '999999' } }),
    // Parse and validation failures (before execution).
    text('syntax error', g, '{ stores { '),
    text('unknown field', g, '{ stors { totalCount } }'),
    text('missing selection', g, '{ stores }'),
    text('wrong argument type (literal)', g, '{ stores(first: "ten") { totalCount } }'),
    text('two operations, none named', g, 'query A { categories { id } } query B { categories { name } }'),
    text('unknown operation name', g, 'query A { categories { id } }', { operationName: 'Nope' }),
    // Nothing may run: before the fix in CompiledExecution the jit server ran the document's only
    // operation (here a write) and then answered 500.
    text('unknown operation name, a mutation', g, 'mutation A { createApiKey(name: "must not exist", role: VIEWER) { id } }', {
      operationName: 'Nope',
    }),
    text('empty operation name', g, 'query A { categories { id } }', { operationName: '' }),
    text('subscription over HTTP', g, 'subscription { jobEvents { jobId } }'),
    text('mutation with no key', g, 'mutation { resetMetrics }', { as: 'anonymous' }),
    text('unknown key', g, '{ categories { id } }', { as: 'unknown' }),
  ];
}

/** Bad variables: graphql-js's coercion errors (BAD_USER_INPUT), and values both must accept. */
function variableSteps(): Step[] {
  const g = 'variables' as const;
  const order = (input: unknown) => ({ input });
  return [
    op('RevenueMetrics', { group: g, label: 'required variable missing', variables: {} }),
    op('RevenueMetrics', { group: g, label: 'not a calendar day', variables: { range: { from: '2024-13-01', to: '2024-12-31' } } }),
    op('RevenueMetrics', { group: g, label: 'Date not a string', variables: { range: { from: 20240101, to: '2024-12-31' } } }),
    op('RevenueMetrics', { group: g, label: 'input field missing', variables: { range: { from: '2024-01-01' } } }),
    op('RevenueMetrics', { group: g, label: 'unknown input field', variables: { range: { ...R7, days: 7 } } }),
    op('RevenueMetrics', { group: g, label: 'input object not an object', variables: { range: 'last week' } }),
    op('RevenueMetrics', { group: g, label: 'unknown enum value', variables: { range: R7, granularity: 'YEAR' } }),
    op('RevenueMetrics', { group: g, label: 'null in a list of non-null', variables: { range: R7, storeIds: ['1', null] } }),
    op('RevenueMetrics', { group: g, label: 'object where an ID is expected', variables: { range: R7, storeIds: [{ id: 1 }] } }),
    op('RevenueMetrics', {
      group: g,
      label: 'several bad variables at once',
      variables: { range: { from: 'x', to: 'y' }, granularity: 7, storeIds: [true] },
    }),
    op('TStoresPage', { group: g, label: 'string where an Int is expected', variables: { first: '10' } }),
    op('TStoresPage', { group: g, label: 'float where an Int is expected', variables: { first: 1.5 } }),
    op('TStoresPage', { group: g, label: 'Int out of range', variables: { first: -(2 ** 31) - 1 } }),
    op('CustomerDetails', { group: g, label: 'null for a non-null ID', variables: { id: null } }),
    op('CustomerDetails', { group: g, label: 'boolean where an ID is expected', variables: { id: true } }),
    op('CustomerDetails', { group: g, label: 'float where an ID is expected', variables: { id: 1.5 } }),
    op('TStoreInventory', { group: g, label: 'enum value in lower case', variables: { id: '1', status: 'low', first: 3 } }),
    op('DiffStoreEverything', {
      group: g,
      label: 'string where a Boolean is expected',
      variables: { id: '1', range: R7, week: R7, withDetails: 'yes' },
    }),
    op('CreateApiKey', { group: g, label: 'unknown role', variables: { name: 'x', role: 'ROOT' } }),
    op('GenerateReport', { group: g, label: 'unknown report kind', variables: { kind: 'WEEKLY', range: R7 } }),
    op('RecordOrder', { group: g, label: 'input object without a required list', variables: order({ storeId: '1' }) }),
    op('RecordOrder', {
      group: g,
      label: 'list item without a required field',
      variables: order({ storeId: '1', items: [{ productId: '1' }] }),
    }),
    op('RecordOrder', {
      group: g,
      label: 'bad enum inside an input',
      variables: order({ storeId: '1', channel: 'TELEPATHY', items: [{ productId: '1', quantity: 1 }] }),
    }),
    op('RecordOrder', {
      group: g,
      label: 'explicit null for a non-null field with a default',
      variables: order({ storeId: '1', channel: null, items: [{ productId: '1', quantity: 1 }] }),
    }),
    op('RecordOrder', {
      group: g,
      label: 'bad DateTime',
      variables: order({ storeId: '1', placedAt: 'yesterday', items: [{ productId: '1', quantity: 1 }] }),
    }),
    op('RecordOrder', {
      group: g,
      label: 'DateTime without a zone',
      variables: order({ storeId: '1', placedAt: '2026-01-01T10:00:00', items: [{ productId: '1', quantity: 1 }] }),
    }),
    op('RecordOrder', {
      group: g,
      label: 'quantity as a string',
      variables: order({ storeId: '1', items: [{ productId: '1', quantity: '2' }] }),
    }),
    op('IngestEvents', {
      group: g,
      label: 'bad DateTime in a list item',
      variables: { events: [{ id: 'v-1', storeId: '1', type: 'VISIT', occurredAt: 'nope' }] },
    }),
    op('IngestEvents', {
      group: g,
      label: 'bad enum in the second list item',
      variables: { events: [EVENTS[0], { ...EVENTS[1], type: 'BUY' }] },
    }),
    op('IngestEvents', { group: g, label: 'null list', variables: { events: null } }),
    op('AdjustInventory', { group: g, label: 'Int given as a numeric string ID', variables: { storeId: 1, productId: '1', delta: '5' } }),
    text('variables not an object', g, 'query Q($first: Int) { stores(first: $first) { totalCount } }', {
      variables: [1] as unknown as Vars,
    }),
    text('undeclared variable given', g, 'query Q($first: Int) { stores(first: $first) { totalCount } }', {
      variables: { first: 1, extra: 'ignored' },
    }),
    text('@include with a bad variable', g, 'query Q($on: Boolean!) { categories @include(if: $on) { id } }', {
      variables: { on: 'sometimes' },
    }),
    text(
      '@include and @skip on variables',
      g,
      'query Q($on: Boolean!, $off: Boolean!) { a: categories @include(if: $on) { id } b: categories @skip(if: $off) { name } c: categories @include(if: $off) { id } }',
      {
        variables: { on: true, off: false },
      },
    ),
  ];
}

/** The attack corpus of abuse.test.ts (refused before execution), compared by status and body. */
function attackSteps(): Step[] {
  const g = 'attacks' as const;
  const raw = (init: RequestInit & { path?: string; key?: Who }) => (side: Side) => {
    const key = side.keys[init.key ?? 'viewer'];
    return fetch(side.server.url + (init.path ?? ''), {
      ...init,
      headers: {
        ...(key ? { authorization: `Bearer ${key}` } : {}),
        'content-type': 'application/json',
        ...(init.headers as Record<string, string>),
      },
    });
  };
  const aliases = Array.from({ length: 31 }, (_, i) => `a${i}: categories { id }`).join(' ');
  const directives = Array.from({ length: 6 }, () => '@include(if: true)').join(' ');
  return [
    text(
      'deep nesting',
      g,
      `{ stores { edges { node { topProducts(range: ${rangeLiteral}) { product { category { products { edges { node { category { name } } } } } } } } } } }`,
      { as: 'viewer' },
    ),
    text('alias bomb', g, `{ ${aliases} }`, { as: 'viewer' }),
    text('30 aliases (the limit)', g, `{ ${Array.from({ length: 30 }, (_, i) => `a${i}: categories { id }`).join(' ')} }`, {
      as: 'viewer',
    }),
    text('2,000 duplicate fields', g, `{ categories { ${'id '.repeat(2000)} } }`, { as: 'viewer' }),
    text('more tokens than allowed', g, `{ categories { ${'id name '.repeat(1600)} } }`, { as: 'viewer' }),
    text(
      'circular fragments',
      g,
      'query { categories { ...A } } fragment A on Category { products { edges { node { category { ...B } } } } } fragment B on Category { ...A }',
      { as: 'viewer' },
    ),
    text('a huge first', g, '{ stores(first: 100000) { totalCount } }', { as: 'viewer' }),
    text('a huge first through a variable', g, 'query Q($n: Int) { stores(first: $n) { totalCount } }', {
      as: 'viewer',
      variables: { n: 100000 },
    }),
    text(
      'nested page-size multipliers',
      g,
      `{ stores(first: 100) { edges { node { topProducts(range: ${rangeLiteral}, limit: 100) { product { category { products(first: 100) { totalCount } } } } } } } }`,
      { as: 'viewer' },
    ),
    text('directive overload', g, `{ categories ${directives} { id } }`, { as: 'viewer' }),
    text('range of more than 731 days', g, `{ revenueMetrics(range: {from: "2020-01-01", to: "2022-12-31"}) { total } }`, { as: 'viewer' }),
    text('range ending before it starts', g, `{ revenueMetrics(range: {from: "2024-02-01", to: "2024-01-01"}) { total } }`, {
      as: 'viewer',
    }),
    text(
      'an accepted operation reports its cost',
      g,
      `{ stores(first: 3) { edges { node { revenue(range: ${rangeLiteral}) { total } } } } }`,
      { as: 'viewer' },
    ),
    text('introspection as VIEWER (development)', g, '{ __schema { queryType { name } } }', { as: 'viewer' }),
    {
      label: 'body over 1 MB',
      group: g,
      raw: raw({ method: 'POST', body: JSON.stringify({ query: '{ categories { id } }', padding: 'x'.repeat(1_100_000) }) }),
    },
    {
      label: 'batched array',
      group: g,
      raw: raw({ method: 'POST', body: JSON.stringify([{ query: '{ categories { id } }' }, { query: '{ categories { id } }' }]) }),
    },
    {
      label: 'mutation over GET',
      group: g,
      raw: raw({ method: 'GET', path: `?query=${encodeURIComponent('mutation { invalidateCache(tags: ["x"]) }')}` }),
    },
    { label: 'query over GET', group: g, raw: raw({ method: 'GET', path: `?query=${encodeURIComponent('{ categories { id name } }')}` }) },
    {
      label: 'CSRF: simple content type',
      group: g,
      raw: (side) =>
        fetch(side.server.url, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{"query":"{ categories { id } }"}' }),
    },
    { label: 'body not JSON', group: g, raw: raw({ method: 'POST', body: '{"query": ' }) },
    { label: 'no query', group: g, raw: raw({ method: 'POST', body: JSON.stringify({ variables: {} }) }) },
    {
      label: 'no key at all',
      group: g,
      raw: raw({ method: 'POST', key: 'anonymous', body: JSON.stringify({ query: '{ categories { id } }' }) }),
    },
  ];
}

/** The ```graphql examples of README.md, extracted as they stand. */
function readmeSteps(): { steps: Step[]; skipped: string[] } {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const fences = [...readme.matchAll(/```(\w*)\n([\s\S]*?)```/g)].map((m) => ({
    lang: m[1],
    body: m[2],
    end: (m.index ?? 0) + m[0].length,
  }));
  const steps: Step[] = [];
  const skipped: string[] = [];
  fences.forEach((fence, index) => {
    if (fence.lang !== 'graphql') return;
    let document: DocumentNode;
    try {
      document = parse(fence.body);
    } catch {
      skipped.push(`README block ${index}: not a GraphQL document`);
      return;
    }
    const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
    if (operations.length === 0 || operations.length !== document.definitions.filter((d) => d.kind !== Kind.FRAGMENT_DEFINITION).length) {
      skipped.push(`README block ${index}: not an executable document (SDL)`);
      return;
    }
    // Variables, when the README gives them: a ```json block right after, holding an object that is not a response.
    const next = fences[index + 1];
    let variables: Vars | undefined;
    if (next?.lang === 'json' && readme.slice(fence.end, readme.indexOf('```', fence.end)).trim() === '') {
      try {
        const value = JSON.parse(next.body) as Vars;
        if (value && typeof value === 'object' && !('data' in value) && !('errors' in value))
          variables = (value.variables as Vars) ?? value;
      } catch {
        /* not variables */
      }
    }
    for (const operation of operations) {
      const name = operation.name?.value ?? `block ${index}`;
      if (operation.operation === 'subscription') {
        skipped.push(`README ${name}: a subscription`);
        continue;
      }
      const required = (operation.variableDefinitions ?? []).filter((v) => v.type.kind === Kind.NON_NULL_TYPE && !v.defaultValue);
      if (required.some((v) => variables?.[v.variable.name.value] === undefined)) {
        skipped.push(`README ${name}: required variables the README does not give`);
        continue;
      }
      const selectsMetrics = operation.selectionSet.selections.some((s) => s.kind === Kind.FIELD && s.name.value === 'metrics');
      steps.push({
        label: `README ${name}`,
        group: 'readme',
        query: fence.body,
        operationName: operation.name?.value,
        variables,
        metrics: selectsMetrics,
        // The README's order takes the default placedAt: "now".
        recent: ['placedAt'],
      });
    }
  });
  return { steps, skipped };
}

// ---------------------------------------------------------------------------------------
// Normalisation: the values that legitimately differ between the two servers, and only those

const NOW_TOLERANCE_MS = 15 * 60_000;

function isRecentTimestamp(value: unknown): boolean {
  if (typeof value !== 'string' || !/^\d{4}-\d\d-\d\dT/.test(value)) return false;
  const at = Date.parse(value);
  return Number.isFinite(at) && Math.abs(Date.now() - at) < NOW_TOLERANCE_MS;
}

/** Replaces the values of `keys` anywhere under `value` for which `accept` holds (others stay, so they still compare). */
function replaceKeys(value: unknown, keys: readonly string[], accept: (v: unknown) => boolean, marker: string): unknown {
  if (Array.isArray(value)) return value.map((v) => replaceKeys(v, keys, accept, marker));
  if (!value || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, keys.includes(k) && accept(v) ? marker : replaceKeys(v, keys, accept, marker)]),
  );
}

/** The shape of a value: types in place of scalars, lists as the sorted set of their items' shapes. */
function shapeOf(value: unknown): unknown {
  if (Array.isArray(value)) return [...new Set(value.map((v) => JSON.stringify(shapeOf(v))))].sort().map((s) => JSON.parse(s));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shapeOf(v)]));
  return value === null ? null : typeof value;
}

function normalise(step: Step, body: any): any {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return body;
  const out = { ...body };
  if (Array.isArray(out.errors)) {
    out.errors = out.errors.map((error: any) => {
      const extensions = error?.extensions;
      // 1. requestId: a fresh random id per request (X-Request-Id), present on both sides.
      if (extensions && typeof extensions.requestId === 'string')
        return { ...error, extensions: { ...extensions, requestId: '<request id>' } };
      return error;
    });
    // 2. The order of several errors: errors of fields that fail concurrently are listed as
    //    they fail (which SQL statement returns first); compared sorted by path, then message.
    const keyOf = (error: any) => `${JSON.stringify(error?.path ?? null)} ${error?.message}`;
    out.errors.sort((a: unknown, b: unknown) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0));
  }
  if (out.extensions?.cache) {
    // 3. extensions.cache: which cached fields ran (their paths) is compared. Not compared:
    //    `age` (wall-clock seconds); the order of the list (the order in which concurrent
    //    cached fields settled); `tier` and the hits/misses counts, which follow it: when two
    //    fields of one request share an entry (a category read through categoryLeaderboard
    //    and through product.category.performance), whether the second finds it in L1 or
    //    joins the first's computation (MISS) depends on which SQL statement returned first.
    const { hits: _hits, misses: _misses, fields = [], ...cache } = out.extensions.cache;
    const paths = fields.map((field: { path: string; stale: boolean }) => `${field.path}${field.stale ? ' (stale)' : ''}`).sort();
    out.extensions = { ...out.extensions, cache: { ...cache, fields: paths } };
  }
  // 4. Timestamps of "now" taken by this request (an order's default placedAt, a job's
  //    createdAt): only ISO instants within 15 minutes of now are replaced.
  if (step.recent && out.data) out.data = replaceKeys(out.data, step.recent, isRecentTimestamp, '<now>');
  // 5. Freshly generated secrets (createApiKey's key): random by design.
  if (step.secret && out.data)
    out.data = replaceKeys(out.data, step.secret, (v) => typeof v === 'string' && v.startsWith('gp_'), '<secret>');
  // 6. Metrics measure this process (latencies, memory, which statements ran as DataLoader
  //    batches fell): compared by shape. DiffMetricsStable compares the untimed fields as they are.
  if (step.metrics && out.data?.metrics) out.data = { ...out.data, metrics: shapeOf(out.data.metrics) };
  return out;
}

// ---------------------------------------------------------------------------------------
// Accepted differences of wording (variable coercion only). Each must still name the
// variable and the problem; an entry nothing matched fails the test, so the list stays true.

interface AcceptedMessage {
  step: string;
  variable: string;
  problem: RegExp;
  jit: string;
  graphqlJs: string;
  why: string;
}
const ACCEPTED_MESSAGE_DIFFERENCES: AcceptedMessage[] = [
  // None: variables graphql-jit refuses are answered from graphql-js's own coercion
  // (CompiledExecution.variablesRefused), so the wording is graphql-js's on both sides.
];

// ---------------------------------------------------------------------------------------
// Comparison

interface Observation {
  status: number;
  body: unknown;
}

interface Difference {
  path: string;
  jit: unknown;
  graphqlJs: unknown;
}

function differences(a: unknown, b: unknown, path = ''): Difference[] {
  if (Object.is(a, b)) return [];
  if (Array.isArray(a) && Array.isArray(b)) {
    const out: Difference[] = [];
    for (let i = 0; i < Math.max(a.length, b.length); i++) out.push(...differences(a[i], b[i], `${path}[${i}]`));
    return out;
  }
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
    const out: Difference[] = [];
    for (const key of keys) {
      const inA = key in a;
      const inB = key in b;
      if (inA !== inB)
        out.push({ path: `${path}.${key}`, jit: inA ? (a as any)[key] : '<absent>', graphqlJs: inB ? (b as any)[key] : '<absent>' });
      else out.push(...differences((a as any)[key], (b as any)[key], `${path}.${key}`));
    }
    return out;
  }
  return [{ path: path || '(root)', jit: a, graphqlJs: b }];
}

const short = (value: unknown) => {
  const json = JSON.stringify(value);
  return json === undefined ? 'undefined' : json.length > 300 ? `${json.slice(0, 300)}…` : json;
};

function variablesOf(step: Step, side: Side): Vars | undefined {
  return typeof step.variables === 'function' ? step.variables(side) : step.variables;
}

async function send(side: Side, step: Step): Promise<Observation> {
  let response: Response;
  if (step.raw) {
    response = await step.raw(side);
  } else {
    const key = side.keys[step.as ?? 'admin'];
    const variables = variablesOf(step, side);
    response = await fetch(side.server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
      body: JSON.stringify({
        query: step.query,
        ...(variables !== undefined ? { variables } : {}),
        ...(step.operationName ? { operationName: step.operationName } : {}),
      }),
    });
  }
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = { nonJsonBody: text };
  }
  return { status: response.status, body };
}

// ---------------------------------------------------------------------------------------
// Coverage of the corpus (computed from the documents that reached execution)

interface Coverage {
  coordinates: Set<string>;
  features: Set<string>;
  codes: Set<string>;
}

function inputFeatures(type: GraphQLInputType, value: unknown, features: Set<string>, seen = new Set<string>()): void {
  const inner = isNonNullType(type) ? type.ofType : type;
  if (isListType(inner)) {
    features.add('variable: list');
    for (const item of Array.isArray(value) ? value : [value]) inputFeatures(inner.ofType, item, features, seen);
    return;
  }
  const named = getNamedType(inner);
  if (isEnumType(named)) features.add('variable: enum');
  if (['Date', 'DateTime', 'JSON', 'ID', 'Int', 'Boolean', 'String'].includes(named.name)) features.add(`variable: ${named.name}`);
  if (isInputObjectType(named)) {
    features.add('variable: input object');
    if (!value || typeof value !== 'object' || seen.has(named.name)) return;
    for (const field of Object.values(named.getFields())) {
      const given = (value as Record<string, unknown>)[field.name];
      if (given === undefined && field.defaultValue !== undefined) features.add('variable: input field default omitted');
      if (given !== undefined && given !== null) inputFeatures(field.type, given, features, new Set([...seen, named.name]));
    }
  }
}

function recordCoverage(coverage: Coverage, step: Step, side: Side, body: any): void {
  for (const error of body?.errors ?? []) if (typeof error?.extensions?.code === 'string') coverage.codes.add(error.extensions.code);
  if (!step.query || !body || typeof body !== 'object' || !('data' in body)) return; // never reached execution
  let document: DocumentNode;
  try {
    document = parse(step.query);
  } catch {
    return;
  }
  const operation = document.definitions.find(
    (d): d is OperationDefinitionNode =>
      d.kind === Kind.OPERATION_DEFINITION && (!step.operationName || d.name?.value === step.operationName),
  );
  if (!operation) return;
  const variables = variablesOf(step, side) ?? {};
  for (const definition of operation.variableDefinitions ?? []) {
    const given = (variables as Vars)[definition.variable.name.value];
    if (given === undefined && definition.defaultValue) coverage.features.add('variable default used');
    const type = typeFromAST(schema, definition.type as never) as GraphQLInputType | undefined;
    if (type && given !== undefined && given !== null) inputFeatures(type, given, coverage.features);
  }
  const fragments = document.definitions.filter((d) => d.kind === Kind.FRAGMENT_DEFINITION);
  const typeInfo = new TypeInfo(schema);
  visit(
    { kind: Kind.DOCUMENT, definitions: [operation, ...fragments] },
    visitWithTypeInfo(typeInfo, {
      Field(node) {
        const parent = typeInfo.getParentType();
        if (parent && !node.name.value.startsWith('__')) coverage.coordinates.add(`${parent.name}.${node.name.value}`);
        if (node.alias) coverage.features.add('alias');
      },
      FragmentSpread() {
        coverage.features.add('named fragment');
      },
      InlineFragment(node) {
        coverage.features.add(node.typeCondition ? 'inline fragment (typed)' : 'inline fragment (untyped)');
      },
      Directive(node) {
        if ((node.name.value === 'include' || node.name.value === 'skip') && node.arguments?.some((a) => a.value.kind === Kind.VARIABLE)) {
          coverage.features.add(`@${node.name.value} on a variable`);
        }
      },
    }),
  );
}

// ---------------------------------------------------------------------------------------
// The test

interface StepResult {
  step: Step;
  jit: Observation;
  graphqlJs: Observation;
  unexpected: Difference[];
  accepted: Array<Difference & { why: string }>;
  fallbacks: number;
}

const results: StepResult[] = [];
const coverage: Coverage = { coordinates: new Set(), features: new Set(), codes: new Set() };
const usedAccepted = new Set<AcceptedMessage>();
const readme = readmeSteps();
let runtimeMs = 0;

beforeAll(async () => {
  // One after the other: each start migrates its clone and builds a schema, on 2 shared cores.
  sides.push(await startSide('jit'));
  sides.push(await startSide('graphql-js'));
});
afterAll(async () => {
  await Promise.all(sides.map((side) => side.server.stop()));
});

describe('graphql-jit and graphql-js give the same answers', () => {
  it('runs every operation, README example, attack and error case on both, step by step', async () => {
    const [jit, reference] = sides;
    const steps = [...operationSteps(), ...readme.steps, ...errorSteps(), ...variableSteps(), ...attackSteps()];
    const labels = steps.map((s) => s.label);
    expect(
      labels.filter((l, i) => labels.indexOf(l) !== i),
      'step labels are unique',
    ).toEqual([]);
    const started = performance.now();
    for (const step of steps) {
      const before = jit.server.app.services.metrics?.execution().fallbackExecutions ?? 0;
      const [a, b] = await Promise.all([send(jit, step), send(reference, step)]);
      const fallbacks = (jit.server.app.services.metrics?.execution().fallbackExecutions ?? 0) - before;
      step.remember?.(jit, a.body);
      step.remember?.(reference, b.body);
      recordCoverage(coverage, step, jit, a.body);
      const left = { status: a.status, body: normalise(step, a.body) };
      const right = { status: b.status, body: normalise(step, b.body) };
      const unexpected: Difference[] = [];
      const accepted: StepResult['accepted'] = [];
      for (const difference of differences(left, right)) {
        const entry = /^\.body\.errors\[\d+\]\.message$/.test(difference.path)
          ? ACCEPTED_MESSAGE_DIFFERENCES.find(
              (e) => e.step === step.label && e.jit === difference.jit && e.graphqlJs === difference.graphqlJs,
            )
          : undefined;
        if (entry && String(difference.jit).includes(`$${entry.variable}`) && entry.problem.test(String(difference.jit))) {
          usedAccepted.add(entry);
          accepted.push({ ...difference, why: entry.why });
        } else {
          unexpected.push(difference);
        }
      }
      results.push({ step, jit: left, graphqlJs: right, unexpected, accepted, fallbacks });
    }
    runtimeMs = performance.now() - started;
    // DIFF_DUMP=<file> writes every step's normalised answers, to read what the corpus does.
    if (process.env.DIFF_DUMP)
      writeFileSync(
        process.env.DIFF_DUMP,
        JSON.stringify(
          results.map((r) => ({ label: r.step.label, jit: r.jit, graphqlJs: r.graphqlJs })),
          null,
          1,
        ),
      );

    const byGroup = new Map<string, number>();
    for (const r of results) byGroup.set(r.step.group, (byGroup.get(r.step.group) ?? 0) + 1);
    const failing = results.filter((r) => r.unexpected.length > 0);
    const summary = [
      `executor differential: ${results.length} steps (${new Set(steps.map((s) => s.query ?? s.label)).size} distinct documents) compared in ${(runtimeMs / 1000).toFixed(1)} s (${[...byGroup].map(([g, n]) => `${g} ${n}`).join(', ')})`,
      `  statuses: ${[...new Set(results.map((r) => r.jit.status))].sort().join(', ')}; error codes seen: ${[...coverage.codes].sort().join(', ')}`,
      `  README: ${readme.steps.length} run${readme.skipped.length ? `; skipped: ${readme.skipped.join('; ')}` : ''}`,
      `  accepted message differences: ${results.reduce((n, r) => n + r.accepted.length, 0)}`,
      ...results.flatMap((r) =>
        r.accepted.map((d) => `    ${r.step.label} ${d.path}: jit ${short(d.jit)} / graphql-js ${short(d.graphqlJs)} (${d.why})`),
      ),
      `  unexpected differences: ${failing.length} step(s)`,
      ...failing.flatMap((r) => [
        `  ✗ ${r.step.label} [${r.step.group}]`,
        ...r.unexpected.slice(0, 12).map((d) => `      ${d.path}: jit ${short(d.jit)}  ≠  graphql-js ${short(d.graphqlJs)}`),
        ...(r.unexpected.length > 12 ? [`      … ${r.unexpected.length - 12} more`] : []),
      ]),
    ].join('\n');
    console.log(summary);

    expect(
      failing.map(
        (r) =>
          `${r.step.label}:\n${r.unexpected.map((d) => `  ${d.path}: jit ${short(d.jit)} ≠ graphql-js ${short(d.graphqlJs)}`).join('\n')}`,
      ),
      summary,
    ).toEqual([]);
    const stale = ACCEPTED_MESSAGE_DIFFERENCES.filter((e) => !usedAccepted.has(e)).map((e) => `${e.step}: ${e.jit}`);
    expect(stale, 'accepted message differences that no longer occur').toEqual([]);
    // Sanity: the corpus really executed (not every step refused).
    expect(results.filter((r) => r.jit.status === 200 && (r.jit.body as any)?.data).length).toBeGreaterThan(100);
  }, 600_000);

  it('covers every operation file, every root field, every analytic field and the GraphQL features', () => {
    expect(results.length, 'the corpus ran').toBeGreaterThan(0);
    const notCovered = [...OPERATIONS.keys()].filter((name) => !usedOperations.has(name) && !(name in NOT_RUN));
    expect(notCovered, 'operations of test/operations/ the corpus never runs').toEqual([]);
    for (const name of Object.keys(NOT_RUN))
      expect(OPERATIONS.get(name)?.kind, `${name} is skipped as a subscription`).toBe('subscription');

    const roots = [schema.getQueryType(), schema.getMutationType()].flatMap((type) =>
      Object.keys(type?.getFields() ?? {}).map((f) => `${type!.name}.${f}`),
    );
    expect(
      roots.filter((c) => !coverage.coordinates.has(c)),
      'root fields never executed',
    ).toEqual([]);
    expect(
      ANALYTIC_FIELDS.filter((c) => !coverage.coordinates.has(c)),
      'analytic fields never executed',
    ).toEqual([]);
    const features = [
      'named fragment',
      'inline fragment (typed)',
      'inline fragment (untyped)',
      'alias',
      '@include on a variable',
      '@skip on a variable',
      'variable default used',
      'variable: input object',
      'variable: input field default omitted',
      'variable: list',
      'variable: enum',
      'variable: Date',
      'variable: DateTime',
      'variable: JSON',
    ];
    expect(
      features.filter((f) => !coverage.features.has(f)),
      'features never executed',
    ).toEqual([]);
    const codes = [
      'BAD_USER_INPUT',
      'NOT_FOUND',
      'FORBIDDEN',
      'UNAUTHENTICATED',
      'GRAPHQL_VALIDATION_FAILED',
      'GRAPHQL_PARSE_FAILED',
      'QUERY_TOO_COMPLEX',
    ];
    expect(
      codes.filter((c) => !coverage.codes.has(c)),
      'error codes never seen',
    ).toEqual([]);
    expect(readme.steps.length, 'README examples found').toBeGreaterThanOrEqual(5);
  });

  it('graphql-jit compiled every operation: no fallback to graphql-js', async () => {
    expect(results.length, 'the corpus ran').toBeGreaterThan(0);
    const fellBack = results.filter((r) => r.fallbacks > 0).map((r) => `${r.step.label} (${r.fallbacks})`);
    expect(fellBack, 'steps executed by graphql-js on the jit server').toEqual([]);
    const [jit, reference] = sides;
    const query = '{ metrics { execution { executor compiledOperations fallbackOperations fallbackExecutions } } }';
    const execution = (await jit.server.request(query)).body.data?.metrics.execution;
    console.log(`executor differential: jit server Metrics.execution ${JSON.stringify(execution)}`);
    expect(execution).toEqual({ executor: 'jit', compiledOperations: expect.any(Number), fallbackOperations: 0, fallbackExecutions: 0 });
    expect(execution.compiledOperations).toBeGreaterThan(0);
    const referenceExecution = (await reference.server.request(query)).body.data?.metrics.execution;
    expect(referenceExecution).toEqual({ executor: 'graphql-js', compiledOperations: 0, fallbackOperations: 0, fallbackExecutions: 0 });
  });
});
