import { adminGraphql } from './api-client.js';
import { sleep } from './scenario.js';

/** Probes a scenario runs beside the load, with the admin key. */

interface CacheState {
  metrics: { cache: { degraded: boolean; redisConnected: boolean } };
}

/** Whether the API serves from L1 only (Redis down or its breaker open). */
export async function cacheDegraded(url: string): Promise<boolean> {
  const data = await adminGraphql<CacheState>(url, '{ metrics { cache { degraded redisConnected } } }');
  return data.metrics.cache.degraded || !data.metrics.cache.redisConnected;
}

/**
 * Polls `check` every `intervalMs` until it returns true; resolves with the ms since
 * `since` at that moment, or null after `timeoutMs`. A failing check counts as false.
 */
export async function msUntil(check: () => Promise<boolean>, since: number, timeoutMs: number, intervalMs = 25): Promise<number | null> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return Date.now() - since;
    await sleep(intervalMs);
  }
  return null;
}

const STORE_REVENUE = 'query FaultsProbe($id: ID!, $range: DateRange!) { store(id: $id) { revenue(range: $range) { total orders } } }';

export interface RevenueProbe {
  total: number;
  orders: number;
}

/** A store's revenue over a range, as one instance answers it (from its cache when it has it). */
export async function storeRevenue(url: string, storeId: string, range: { from: string; to: string }): Promise<RevenueProbe> {
  const data = await adminGraphql<{ store: { revenue: RevenueProbe } }>(url, STORE_REVENUE, { id: storeId, range });
  return data.store.revenue;
}

const RECORD_ORDER = 'mutation FaultsProbeOrder($input: OrderInput!) { recordOrder(input: $input) { id total } }';

/** One order at a store, now: the write whose invalidation a scenario follows. */
export async function recordProbeOrder(url: string, storeId: string, productId: string, key: string): Promise<string> {
  const input = { storeId, channel: 'ONLINE', items: [{ productId, quantity: 1 }], idempotencyKey: key };
  return (await adminGraphql<{ recordOrder: { id: string } }>(url, RECORD_ORDER, { input })).recordOrder.id;
}

const GENERATE_REPORT =
  'mutation FaultsReport($range: DateRange!, $storeIds: [ID!]) { generateReport(kind: DAILY_SALES, range: $range, storeIds: $storeIds) { id } }';

/** Queues a report job (the API's own workers or `npm run worker` run it); resolves with its id. */
export async function queueReport(url: string, range: { from: string; to: string }, storeIds: string[]): Promise<string> {
  return (await adminGraphql<{ generateReport: { id: string } }>(url, GENERATE_REPORT, { range, storeIds })).generateReport.id;
}

/** A job's state (`COMPLETED`, `ACTIVE`, …), or null when there is no such job. */
export async function jobState(url: string, id: string): Promise<string | null> {
  return (
    (await adminGraphql<{ job: { state: string } | null }>(url, 'query FaultsJob($id: ID!) { job(id: $id) { state } }', { id })).job
      ?.state ?? null
  );
}
