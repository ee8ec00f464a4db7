import { ANONYMOUS_SHARE, CHANNEL_MIX, HOURS_BY_CHANNEL, LINES_PER_ORDER, QUANTITY, WEEKDAY_VOLUME } from './catalog.js';
import { Random, weightTable } from './random.js';
import { DAY_MS, type World } from './world.js';

export interface SeedOrder {
  storeId: number;
  customerId: number | null;
  placedSec: number;
  /** Index into STATUSES / CHANNELS. */
  status: number;
  channel: number;
  /** Flattened lines: productId, quantity, unitPriceCents, unitCostCents, … */
  lines: number[];
  itemCount: number;
  totalCents: number;
}

const channelTables = [CHANNEL_MIX.weekday, CHANNEL_MIX.weekend].map((mix) => weightTable(mix.map((w, c) => [c, w] as const)));
const hourTables = HOURS_BY_CHANNEL.map((pair) => pair.map((hours) => weightTable(hours.map((w, h) => [h, w] as const))));
const lineTable = weightTable(LINES_PER_ORDER.map((w, i) => [i + 1, w] as const));
const quantityTable = weightTable(QUANTITY.map((w, i) => [i + 1, w] as const));

export const REFUND_RATE = 0.03;
/** Share of known-customer orders placed at the customer's home store. */
const HOME_STORE_SHARE = 0.85;

/** Slow growth over the window (+16% from the first to the last day). */
export const trend = (day: number, days: number): number => 0.92 + (0.16 * day) / Math.max(1, days - 1);

export const isWeekend = (weekday: number): boolean => weekday === 0 || weekday === 6;

/** Σ over days and stores of the deterministic volume factors: the divisor that turns a target count into a per-weight rate. */
export function volumeUnits(world: World, weekdayWeights: readonly number[] = WEEKDAY_VOLUME): number {
  const storeWeight = world.stores.reduce((sum, s) => sum + s.weight, 0);
  let units = 0;
  for (let day = 0; day < world.window.days; day++) {
    const weekday = new Date(world.window.startMs + day * DAY_MS).getUTCDay();
    units += storeWeight * weekdayWeights[weekday] * trend(day, world.window.days);
  }
  return units;
}

/**
 * One UTC day of orders for every store, sorted by time (ties keep generation order).
 * Draws depend only on the seed, the day and the world — never on `today`'s time of
 * day — so cutting the last day at `today` leaves the earlier rows unchanged.
 */
export function generateDayOrders(world: World, day: number, ordersPerUnit: number, rng: Random): SeedOrder[] {
  const dayStartSec = (world.window.startMs + day * DAY_MS) / 1000;
  const weekday = new Date(world.window.startMs + day * DAY_MS).getUTCDay();
  const weekend = isWeekend(weekday) ? 1 : 0;
  // Weather, events, paydays: one shared factor per day.
  const dayFactor = Math.max(0.7, rng.normal(1, 0.06));
  const globalPool = world.pools[world.stores.length];
  const globalAvailable = globalPool.availableBefore(day);
  const orders: SeedOrder[] = [];

  world.stores.forEach((store, s) => {
    const pool = world.pools[s];
    const available = pool.availableBefore(day);
    const mean = ordersPerUnit * store.weight * WEEKDAY_VOLUME[weekday] * trend(day, world.window.days) * dayFactor;
    const count = rng.count(mean);
    for (let n = 0; n < count; n++) {
      const channel = rng.weighted(channelTables[weekend]);
      const hour = rng.weighted(hourTables[channel][weekend]);
      const placedSec = dayStartSec + hour * 3600 + rng.int(0, 3599);
      let customerId: number | null = null;
      if (!rng.chance(ANONYMOUS_SHARE[channel])) {
        customerId = rng.chance(HOME_STORE_SHARE) ? pool.pick(rng, available) : null;
        customerId ??= globalPool.pick(rng, globalAvailable);
      }
      const status = rng.chance(REFUND_RATE) ? 1 : 0;
      const products = world.productTables[hour >= 11 && hour <= 14 ? 1 : 0];
      const lineCount = rng.weighted(lineTable);
      const lines: number[] = [];
      const seen: number[] = [];
      let itemCount = 0;
      let totalCents = 0;
      for (let l = 0; l < lineCount; l++) {
        let index = rng.weighted(products);
        // One line per product: redraw a repeat a few times, then give up on that line.
        for (let tries = 0; seen.includes(index) && tries < 8; tries++) index = rng.weighted(products);
        if (seen.includes(index)) continue;
        seen.push(index);
        const product = world.products[index];
        const quantity = rng.weighted(quantityTable);
        let price = product.priceCents;
        if (rng.chance(0.06)) price = Math.round(price * (rng.chance(0.7) ? 0.9 : 0.8));
        lines.push(product.id, quantity, price, product.costCents);
        itemCount += quantity;
        totalCents += quantity * price;
      }
      orders.push({ storeId: store.id, customerId, placedSec, status, channel, lines, itemCount, totalCents });
    }
  });
  return orders.sort((a, b) => a.placedSec - b.placedSec);
}
