import type { DayRange, HourlyTrafficRow } from '../db/queries/analytics-types.js';
import { storeTraffic } from '../db/queries/store-traffic.query.js';
import { analyticLoader } from './analytic-loader.js';

export const loadStoreTraffic = analyticLoader<{ range: DayRange }, HourlyTrafficRow[]>(
  'storeTraffic',
  ({ db, ids, args, coveredUntil }) => storeTraffic(db, { storeIds: ids, range: args.range, coveredUntil }),
  () => [],
);
