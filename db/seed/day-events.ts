import { PAGES, VISIT_SOURCES } from './catalog.js';
import { trend } from './day-orders.js';
import { Random } from './random.js';
import { DAY_MS, type World } from './world.js';

export interface SeedEvent {
  storeId: number;
  /** Index into EVENT_TYPES. */
  type: number;
  occurredSec: number;
  sessionNo: number;
  customerId: number | null;
  properties: string | null;
  receivedSec: number;
}

/**
 * The funnel: every session is a VISIT; 62% view 1–3 pages; 45% of those add to cart;
 * 55% of those check out — so visits > page views > add-to-cart > checkouts.
 */
const PAGE_VIEW_SHARE = 0.62;
const ADD_TO_CART_SHARE = 0.45;
const CHECKOUT_SHARE = 0.55;
const MEAN_PAGE_VIEWS = 0.75 * 1 + 0.2 * 2 + 0.05 * 3;
/** Expected events per session, to turn a target event count into sessions. */
export const EVENTS_PER_SESSION = 1 + PAGE_VIEW_SHARE * MEAN_PAGE_VIEWS + PAGE_VIEW_SHARE * ADD_TO_CART_SHARE * (1 + CHECKOUT_SHARE);

/** Web traffic is less weekly than till traffic; index = Date.getUTCDay(). */
export const SESSION_WEEKDAY = [1.1, 0.95, 0.97, 0.98, 1.0, 1.02, 1.12] as const;

/**
 * One UTC day of behavioural sessions for every store, as events sorted by time.
 * `sessionNo` continues from `firstSession`; the caller advances it by the returned count.
 */
export function generateDayEvents(
  world: World,
  day: number,
  sessionsPerUnit: number,
  firstSession: number,
  rng: Random,
): { events: SeedEvent[]; sessions: number } {
  const dayStartSec = (world.window.startMs + day * DAY_MS) / 1000;
  const weekday = new Date(world.window.startMs + day * DAY_MS).getUTCDay();
  const events: SeedEvent[] = [];
  let sessionNo = firstSession;

  world.stores.forEach((store, s) => {
    const pool = world.pools[s];
    const available = pool.availableBefore(day);
    const mean = sessionsPerUnit * store.weight * SESSION_WEEKDAY[weekday] * trend(day, world.window.days);
    const count = rng.count(mean);
    for (let n = 0; n < count; n++) {
      const session = sessionNo++;
      const customerId = rng.chance(0.4) ? pool.pick(rng, available) : null;
      let t = dayStartSec + rng.weighted(world.sessionHours) * 3600 + rng.int(0, 3599);
      const emit = (type: number, properties: object | null) => {
        const json = properties && rng.chance(0.9) ? JSON.stringify(properties) : null;
        events.push({
          storeId: store.id,
          type,
          occurredSec: t,
          sessionNo: session,
          customerId,
          properties: json,
          receivedSec: t + rng.int(0, 4),
        });
      };
      emit(0, { source: rng.pick(VISIT_SOURCES) });
      if (!rng.chance(PAGE_VIEW_SHARE)) continue;
      const pages = rng.chance(0.75) ? 1 : rng.chance(0.8) ? 2 : 3;
      for (let p = 0; p < pages; p++) {
        t += rng.int(5, 120);
        emit(1, { path: rng.pick(PAGES) });
      }
      if (!rng.chance(ADD_TO_CART_SHARE)) continue;
      t += rng.int(10, 180);
      const product = world.products[rng.weighted(world.productTables[0])];
      const quantity = rng.chance(0.8) ? 1 : 2;
      emit(2, { sku: product.sku, quantity });
      if (!rng.chance(CHECKOUT_SHARE)) continue;
      t += rng.int(30, 300);
      emit(3, { value: (product.priceCents * quantity) / 100 });
    }
  });
  events.sort((a, b) => a.occurredSec - b.occurredSec);
  return { events, sessions: sessionNo - firstSession };
}
