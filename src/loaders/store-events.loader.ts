import type { DayRange } from '../db/queries/analytics-types.js';
import { storeEvents, type StoreEventsRow } from '../db/queries/store-events.query.js';
import { analyticLoader } from './analytic-loader.js';

/** Store.funnel and the event-based parts of trafficPatterns / customerInsights share one statement per range. */
export const loadStoreEvents = analyticLoader<{ range: DayRange }, StoreEventsRow>(
  'storeEvents',
  ({ db, ids, args }) => storeEvents(db, { storeIds: ids, range: args.range }),
  () => ({ visits: 0, pageViews: 0, addToCarts: 0, checkouts: 0, activeCustomers: 0, visitsByHour: [] }),
);
