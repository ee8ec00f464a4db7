import type { HourlyTrafficRow } from '../db/queries/analytics-types.js';

/** Order cells and visit cells on one (dayOfWeek, hour) grid, ascending; a cell missing on one side counts zero there. */
export function mergeTraffic(
  orders: readonly HourlyTrafficRow[],
  visits: ReadonlyArray<{ dayOfWeek: number; hour: number; visits: number }>,
): Array<HourlyTrafficRow & { visits: number }> {
  const cells = new Map<number, HourlyTrafficRow & { visits: number }>();
  for (const row of orders) cells.set(row.dayOfWeek * 24 + row.hour, { ...row, visits: 0 });
  for (const cell of visits) {
    const key = cell.dayOfWeek * 24 + cell.hour;
    const existing = cells.get(key) ?? { dayOfWeek: cell.dayOfWeek, hour: cell.hour, orders: 0, revenue: 0, visits: 0 };
    cells.set(key, { ...existing, visits: cell.visits });
  }
  return [...cells.entries()].sort(([a], [b]) => a - b).map(([, row]) => row);
}
