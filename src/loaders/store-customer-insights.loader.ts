import type { CustomerInsightsRow, DayRange } from '../db/queries/analytics-types.js';
import { storeCustomerInsights } from '../db/queries/store-customer-insights.query.js';
import { analyticLoader } from './analytic-loader.js';

export const loadStoreCustomerInsights = analyticLoader<{ range: DayRange }, CustomerInsightsRow>(
  'storeCustomerInsights',
  ({ db, ids, args, coveredUntil }) => storeCustomerInsights(db, { storeIds: ids, range: args.range, coveredUntil }),
  () => ({ newCustomers: 0, returningCustomers: 0, repeatRate: 0, averageLifetimeValue: 0 }),
);
