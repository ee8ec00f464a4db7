import type { Db } from '../database.js';
import type { DayRange, Granularity, RevenueSeriesRow } from './analytics-types.js';
import { COMBINED_SERIES, revenueSeries } from './revenue-series.js';

export interface CombinedRevenueParams {
  /** null = every store; [] = no store (a zero series). */
  storeIds: readonly number[] | null;
  range: DayRange;
  granularity: Granularity;
  /** aggregate_state.covered_until, read once per request (readCoveredUntil). */
  coveredUntil: string;
}

/**
 * One series for the given stores added together (Query.revenueMetrics). Shape and
 * rounding are storeRevenue's, from the same statement (src/db/queries/revenue-series.ts).
 */
export async function combinedRevenue(db: Db, params: CombinedRevenueParams): Promise<RevenueSeriesRow> {
  const { storeIds, ...rest } = params;
  const series = await revenueSeries(db, { split: { perStore: false, storeIds }, ...rest });
  return series.get(COMBINED_SERIES)!;
}
