import { sql } from 'kysely';
import type { Db } from '../database.js';
import type { DayRange, HourlyTrafficRow } from './analytics-types.js';
import { uniqueIds } from './date-range.js';
import { weekdayTrafficInRange } from './running-totals.js';

export interface StoreTrafficParams {
  storeIds: readonly number[];
  range: DayRange;
  /** aggregate_state.covered_until, read once per request (readCoveredUntil). */
  coveredUntil: string;
}

interface Row {
  store_id: number;
  /** [dayOfWeek, hour, orders, revenue] per cell with orders, ascending. */
  cells: Array<[number, number, number, number]>;
}

/**
 * Completed orders and revenue per (ISO day of week, UTC hour) for many stores in one
 * statement, from weekday running totals (the cost does not grow with the range). Only
 * cells with orders are returned (a heat map treats a missing cell as zero), ordered by
 * dayOfWeek then hour; a store without orders maps to [].
 */
export async function storeTraffic(db: Db, params: StoreTrafficParams): Promise<Map<number, HourlyTrafficRow[]>> {
  const storeIds = uniqueIds(params.storeIds);
  const traffic = new Map<number, HourlyTrafficRow[]>(storeIds.map((id) => [id, []]));
  if (storeIds.length === 0) return traffic;

  // One row per store, its cells as one JSON array: parsing a JSON text costs Node far
  // less than one pg row per cell (a numeric keeps its decimal digits in JSON, so the
  // revenue parses to the same double).
  const { rows } = await sql<Row>`
    SELECT store_id, json_agg(json_build_array(day_of_week, hour, orders, revenue) ORDER BY day_of_week, hour) AS cells
      FROM (
        SELECT src.store_id,
               src.day_of_week,
               src.hour,
               sum(src.orders)::int AS orders,
               round(sum(src.revenue), 2) AS revenue
          FROM ${weekdayTrafficInRange({ range: params.range, storeIds, coveredUntil: params.coveredUntil })} AS src
         GROUP BY 1, 2, 3
        HAVING sum(src.orders) > 0
      ) AS cell
     GROUP BY 1
  `.execute(db);

  for (const row of rows) {
    traffic.set(
      row.store_id,
      row.cells.map(([dayOfWeek, hour, orders, revenue]) => ({ dayOfWeek, hour, orders, revenue })),
    );
  }
  return traffic;
}
