import type { DayRange, Granularity, RevenueSeriesRow } from '../db/queries/analytics-types.js';
import { storeRevenue } from '../db/queries/store-revenue.query.js';
import { analyticLoader } from './analytic-loader.js';

export const loadStoreRevenue = analyticLoader<{ range: DayRange; granularity: Granularity }, RevenueSeriesRow>(
  'storeRevenue',
  ({ db, ids, args, coveredUntil }) => storeRevenue(db, { storeIds: ids, range: args.range, granularity: args.granularity, coveredUntil }),
  () => ({ total: 0, orders: 0, items: 0, averageTicket: 0, points: [] }),
);
