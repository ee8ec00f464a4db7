import type { HourlyTrafficRow } from '../db/queries/analytics-types.js';

/** Cells of the (ISO day of week 1..7, hour 0..23) grid. */
const CELLS = 8 * 24;

/**
 * Order cells and visit cells on one (dayOfWeek, hour) grid, ascending; a cell missing on
 * one side counts zero there. Both inputs come sorted from SQL, but slots indexed by
 * dayOfWeek * 24 + hour make the order and the merge independent of that (no sort, one
 * object per cell).
 */
export function mergeTraffic(
  orders: readonly HourlyTrafficRow[],
  visits: ReadonlyArray<{ dayOfWeek: number; hour: number; visits: number }>,
): Array<HourlyTrafficRow & { visits: number }> {
  const slots: Array<(HourlyTrafficRow & { visits: number }) | undefined> = new Array(CELLS);
  for (const row of orders) {
    slots[row.dayOfWeek * 24 + row.hour] = {
      dayOfWeek: row.dayOfWeek,
      hour: row.hour,
      orders: row.orders,
      revenue: row.revenue,
      visits: 0,
    };
  }
  for (const cell of visits) {
    const key = cell.dayOfWeek * 24 + cell.hour;
    const existing = slots[key];
    if (existing) existing.visits = cell.visits;
    else slots[key] = { dayOfWeek: cell.dayOfWeek, hour: cell.hour, orders: 0, revenue: 0, visits: cell.visits };
  }
  const merged: Array<HourlyTrafficRow & { visits: number }> = [];
  for (const cell of slots) if (cell) merged.push(cell);
  return merged;
}
