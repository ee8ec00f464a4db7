import type { RequestContext } from '../context.js';
import type { DayRange } from '../db/queries/analytics-types.js';
import { storeEvents, type StoreEventsRow } from '../db/queries/store-events.query.js';
import { addDays, DAY_MS, utcDayOf } from '../days.js';
import { analyticLoader } from './analytic-loader.js';

const loader = analyticLoader<{ range: DayRange; viewsFrom: string }, StoreEventsRow>(
  'storeEvents',
  ({ db, ids, args, coveredUntil }) => storeEvents(db, { storeIds: ids, range: args.range, coveredUntil, viewsFrom: args.viewsFrom }),
  () => ({ visits: 0, pageViews: 0, addToCarts: 0, checkouts: 0, activeCustomers: 0, visitsByHour: [] }),
);

/**
 * The first day the event views may answer. The cleanup job deletes events before
 * now - EVENT_RETENTION_DAYS without refreshing them; a day more than that covers a
 * cleanup that starts after this request read the clock.
 */
export function eventViewsFrom(retentionDays: number, now: number = Date.now()): string {
  return addDays(utcDayOf(now - retentionDays * DAY_MS), 2);
}

/** Store.funnel and the event-based parts of trafficPatterns / customerInsights share one statement per range. */
export function loadStoreEvents(ctx: RequestContext, id: number, args: { range: DayRange }): Promise<StoreEventsRow> {
  return loader(ctx, id, { range: args.range, viewsFrom: eventViewsFrom(ctx.services.config.EVENT_RETENTION_DAYS) });
}
