import type { Db } from '../database.js';
import type { DayRange, Granularity, RevenueSeriesRow } from './analytics-types.js';
import { revenueSeries } from './revenue-series.js';

export interface StoreRevenueParams {
  storeIds: readonly number[];
  range: DayRange;
  granularity: Granularity;
  /** aggregate_state.covered_until, read once per request (readCoveredUntil). */
  coveredUntil: string;
}

/**
 * Revenue series of many stores in one statement (backs the Store.revenue DataLoader):
 * every requested store gets a series, zero points for a store without orders. Shape
 * and rounding: src/db/queries/revenue-series.ts.
 */
export function storeRevenue(db: Db, params: StoreRevenueParams): Promise<Map<number, RevenueSeriesRow>> {
  const { storeIds, ...rest } = params;
  return revenueSeries(db, { split: { perStore: true, storeIds }, ...rest });
}
