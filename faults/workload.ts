import type { LoadRequest } from './load.js';
import type { WriteLedger } from './ledger.js';
import { DAY_MS } from '../src/days.js';

/**
 * The mix every scenario loads the API with: cached reads (the same operation again and
 * again: hot-path and L1/L2 hits), misses (a store and date range drawn at random, so
 * the analytic field is computed from Postgres), `recordOrder` with a unique idempotency
 * key and `ingestEvents` with unique event ids. Every write sent is noted in the ledger,
 * and every write answered as accepted too, so the scenario can count what was lost or
 * duplicated afterwards.
 */

export interface Catalog {
  storeIds: string[];
  productIds: string[];
}

/**
 * Share of each kind, in tenths: 5 reads, 2 misses, 2 orders, 1 ingest batch (of
 * EVENTS_PER_BATCH). Sized so that 300 req/s keep a 2-core machine well below saturation
 * (a fault scenario measures the fault, not an overload).
 */
const MIX: ReadonlyArray<Kind> = ['read', 'miss', 'read', 'order', 'read', 'ingest', 'read', 'miss', 'read', 'order'];
type Kind = 'read' | 'miss' | 'order' | 'ingest';
export const EVENTS_PER_BATCH = 5;

const CACHED_READ = `query FaultsCachedRead($id: ID!, $range: DateRange!) {
  store(id: $id) { name revenue(range: $range) { total orders } }
}`;
const MISS_READ = `query FaultsMiss($id: ID!, $range: DateRange!) {
  store(id: $id) { revenue(range: $range) { total points { period revenue } } }
}`;
const RECORD_ORDER = `mutation FaultsRecordOrder($input: OrderInput!) { recordOrder(input: $input) { id items { quantity } } }`;
const INGEST = `mutation FaultsIngest($events: [EventInput!]!) { ingestEvents(events: $events) { accepted duplicates rejected { index } } }`;

const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** The last `days` UTC days, today included. */
export function lastDays(days: number): { from: string; to: string } {
  const today = Date.now() - (Date.now() % DAY_MS);
  return { from: isoDay(today - (days - 1) * DAY_MS), to: isoDay(today) };
}

/** A deterministic PRNG (mulberry32): the same run asks the same things. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function mixedWorkload(catalog: Catalog, ledger: WriteLedger, seed = 1): (seq: number) => LoadRequest {
  const random = prng(seed);
  const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)];
  const today = Date.now() - (Date.now() % DAY_MS);
  const cachedRange = lastDays(30);

  return (seq) => {
    const kind = MIX[seq % MIX.length];
    switch (kind) {
      case 'read':
        return { kind, body: { query: CACHED_READ, variables: { id: catalog.storeIds[0], range: cachedRange } } };
      case 'miss': {
        // 7..60-day ranges ending within the last 170 days: thousands of combinations per store.
        const end = today - Math.floor(random() * 170) * DAY_MS;
        const range = { from: isoDay(end - (6 + Math.floor(random() * 54)) * DAY_MS), to: isoDay(end) };
        return { kind, body: { query: MISS_READ, variables: { id: pick(catalog.storeIds), range } } };
      }
      case 'order': {
        const items = Array.from({ length: 1 + (seq % 3) }, (_, i) => ({
          productId: catalog.productIds[(seq + i * 7) % catalog.productIds.length],
          quantity: 1 + (seq % 4),
        }));
        const key = ledger.orderSent(items.length);
        const input = { storeId: pick(catalog.storeIds), channel: 'ONLINE', items, idempotencyKey: key };
        return {
          kind,
          body: { query: RECORD_ORDER, variables: { input } },
          onAccepted: (data) => ledger.orderAccepted(key, (data as { recordOrder: { id: string } }).recordOrder.id),
        };
      }
      case 'ingest': {
        const events = Array.from({ length: EVENTS_PER_BATCH }, () => ({
          id: ledger.eventSent(),
          storeId: pick(catalog.storeIds),
          type: pick(['VISIT', 'PAGE_VIEW', 'ADD_TO_CART', 'CHECKOUT']),
          occurredAt: new Date(Date.now() - 1000).toISOString(),
          sessionId: `faults-${seq}`,
        }));
        return {
          kind,
          body: { query: INGEST, variables: { events } },
          onAccepted: (data) => {
            const result = (data as { ingestEvents: { accepted: number; duplicates: number; rejected: unknown[] } }).ingestEvents;
            // Accepted as a whole only when nothing was rejected: a rejected event is not a lost one.
            if (result.rejected.length === 0) ledger.eventsAccepted(events.map((e) => e.id));
          },
        };
      }
    }
  };
}
