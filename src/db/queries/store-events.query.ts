import { sql } from 'kysely';
import type { Db } from '../database.js';
import type { DayRange } from './analytics-types.js';

export interface StoreEventsRow {
  visits: number;
  pageViews: number;
  addToCarts: number;
  checkouts: number;
  /** Distinct known customers with any event in the range. */
  activeCustomers: number;
  /** VISIT events per (ISO day of week, hour) cell, UTC. */
  visitsByHour: Array<{ dayOfWeek: number; hour: number; visits: number }>;
}

/**
 * Everything the API derives from ingested events, per store, in one statement over
 * the events table (no view: events arrive continuously and must count at once).
 */
export async function storeEvents(db: Db, opts: { storeIds: number[]; range: DayRange }): Promise<Map<number, StoreEventsRow>> {
  const from = `${opts.range.from}T00:00:00Z`;
  const until = new Date(Date.parse(`${opts.range.to}T00:00:00Z`) + 86_400_000).toISOString();
  const { rows } = await sql<{
    store_id: number;
    visits: number;
    page_views: number;
    add_to_carts: number;
    checkouts: number;
    active_customers: number;
    cells: Array<{ d: number; h: number; n: number }> | null;
  }>`
    WITH scoped AS (
      SELECT store_id, type, customer_id, occurred_at AT TIME ZONE 'UTC' AS local_at
        FROM events
       WHERE store_id = ANY(${opts.storeIds}::int[]) AND occurred_at >= ${from}::timestamptz AND occurred_at < ${until}::timestamptz
    ), cells AS (
      SELECT store_id, extract(isodow FROM local_at)::int AS d, extract(hour FROM local_at)::int AS h, count(*)::int AS n
        FROM scoped WHERE type = 'VISIT' GROUP BY 1, 2, 3
    )
    SELECT s.store_id,
           count(*) FILTER (WHERE type = 'VISIT')::int AS visits,
           count(*) FILTER (WHERE type = 'PAGE_VIEW')::int AS page_views,
           count(*) FILTER (WHERE type = 'ADD_TO_CART')::int AS add_to_carts,
           count(*) FILTER (WHERE type = 'CHECKOUT')::int AS checkouts,
           count(DISTINCT customer_id)::int AS active_customers,
           (SELECT json_agg(json_build_object('d', c.d, 'h', c.h, 'n', c.n) ORDER BY c.d, c.h) FROM cells c WHERE c.store_id = s.store_id) AS cells
      FROM scoped s
     GROUP BY s.store_id`.execute(db);
  return new Map(
    rows.map((r) => [
      r.store_id,
      {
        visits: r.visits,
        pageViews: r.page_views,
        addToCarts: r.add_to_carts,
        checkouts: r.checkouts,
        activeCustomers: r.active_customers,
        visitsByHour: (r.cells ?? []).map((c) => ({ dayOfWeek: c.d, hour: c.h, visits: c.n })),
      },
    ]),
  );
}
