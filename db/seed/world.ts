import { CATEGORIES, CITIES, SESSION_HOURS } from './catalog.js';
import { Random, searchCumulative, weightTable, type WeightTable } from './random.js';
import { DAY_MS } from '../../src/days.js';

/**
 * The slow-changing part of the seed — stores, products, customers — built once in
 * memory (scale 1: 20 stores, 80 products, 50k customers) before the day-by-day
 * stream of orders and events is drawn against it.
 */

export { DAY_MS };
export const WINDOW_DAYS = 180;

export interface Window {
  /** Midnight UTC of the first day, ms. */
  startMs: number;
  days: number;
  /** Nothing is generated after this instant (epoch seconds): `today`. */
  cutoffSec: number;
}

export interface SeedStore {
  id: number;
  name: string;
  city: string;
  openedAt: string;
  /** Relative busyness; 1 is an average store. */
  weight: number;
}

export interface SeedProduct {
  id: number;
  sku: string;
  name: string;
  categoryId: number;
  priceCents: number;
  costCents: number;
}

/**
 * Customers who may order at one store, in id order (= first-seen order), so those
 * already seen before a given day are a prefix and a weighted draw is one binary search.
 */
export class CustomerPool {
  private size = 0;
  private ids = new Int32Array(64);
  private firstDay = new Int32Array(64);
  private cumulative = new Float64Array(64);

  add(id: number, firstSeenDay: number, weight: number): void {
    if (this.size === this.ids.length) {
      const grow = <T extends Int32Array | Float64Array>(a: T): T => {
        const next = new (a.constructor as new (n: number) => T)(a.length * 2);
        next.set(a);
        return next;
      };
      this.ids = grow(this.ids);
      this.firstDay = grow(this.firstDay);
      this.cumulative = grow(this.cumulative);
    }
    const before = this.size > 0 ? this.cumulative[this.size - 1] : 0;
    this.ids[this.size] = id;
    this.firstDay[this.size] = firstSeenDay;
    this.cumulative[this.size] = before + weight;
    this.size++;
  }

  /** How many customers were first seen before day `day` (window day index). */
  availableBefore(day: number): number {
    let lo = 0;
    let hi = this.size;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.firstDay[mid] < day) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** A customer first seen before `day`, busier ones more often; null when there is none yet. */
  pick(rng: Random, available: number): number | null {
    if (available === 0) return null;
    return this.ids[searchCumulative(this.cumulative, available, rng.next() * this.cumulative[available - 1])];
  }
}

export interface World {
  window: Window;
  stores: SeedStore[];
  storeTable: WeightTable<number>;
  products: SeedProduct[];
  /** Product index by weight; [0] outside lunch hours, [1] from 11:00 to 14:59. */
  productTables: [WeightTable<number>, WeightTable<number>];
  customerCount: number;
  /** Per store (by index) and, last, all customers. */
  pools: CustomerPool[];
  sessionHours: WeightTable<number>;
}

export function makeWindow(today: Date): Window {
  const midnight = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate());
  return { startMs: midnight - (WINDOW_DAYS - 1) * DAY_MS, days: WINDOW_DAYS, cutoffSec: Math.floor(today.getTime() / 1000) };
}

export const isoDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

function buildStores(rng: Random, count: number, window: Window): SeedStore[] {
  const cityCount = Math.min(CITIES.length, Math.max(2, Math.ceil(count / 4)));
  return Array.from({ length: count }, (_, i) => {
    const [city, quarters] = CITIES[i % cityCount];
    const k = Math.floor(i / cityCount);
    const name = `${city} ${quarters[k % quarters.length]}${k >= quarters.length ? ` ${Math.floor(k / quarters.length) + 1}` : ''}`;
    const openedDaysBefore = rng.int(200, 8 * 365);
    return { id: i + 1, name, city, openedAt: isoDay(window.startMs - openedDaysBefore * DAY_MS), weight: rng.float(0.55, 1.6) };
  });
}

function buildProducts(rng: Random): Pick<World, 'products' | 'productTables'> {
  const products: SeedProduct[] = [];
  const normal: Array<[number, number]> = [];
  const lunch: Array<[number, number]> = [];
  CATEGORIES.forEach((category, c) => {
    // Popularity inside a category is Zipf-like over a shuffled rank: one bestseller, a long tail.
    const ranks = rng.shuffle(category.products.map((_, i) => i));
    const zipf = ranks.map((rank) => 1 / (rank + 1) ** 0.9);
    const zipfSum = zipf.reduce((a, b) => a + b, 0);
    category.products.forEach(([name, priceCents], i) => {
      const costCents = Math.max(1, Math.min(priceCents - 1, Math.round(priceCents * rng.float(...category.costRatio))));
      const index = products.length;
      products.push({
        id: index + 1,
        sku: `${category.skuPrefix}-${String(i + 1).padStart(3, '0')}`,
        name,
        categoryId: c + 1,
        priceCents,
        costCents,
      });
      const weight = (category.weight * zipf[i]) / zipfSum;
      normal.push([index, weight]);
      lunch.push([index, weight * category.lunchBoost]);
    });
  });
  return { products, productTables: [weightTable(normal), weightTable(lunch)] };
}

export interface SeedCustomer {
  id: number;
  firstSeenSec: number;
  tier: number;
  homeStoreId: number;
}

/**
 * Customers with a heavy-tailed activity weight (log-normal, capped so the busiest
 * order every few days, not hourly): most order a few times, some weekly or more. The loyalty tier follows that weight. ~45% were first seen
 * before the window (regulars), the rest arrive during it.
 */
function buildCustomers(rng: Random, count: number, stores: SeedStore[], storeTable: WeightTable<number>, window: Window) {
  const drafts = Array.from({ length: count }, () => {
    const store = stores[rng.weighted(storeTable)];
    const z = rng.normal();
    const tier = z > 1.8 ? 3 : z > 1.0 ? 2 : z > 0 ? 1 : 0;
    let firstSeenMs: number;
    if (rng.chance(0.45)) {
      const opened = Date.parse(`${store.openedAt}T00:00:00Z`);
      firstSeenMs = opened + Math.floor(rng.next() * (window.startMs - opened));
    } else {
      // Any day before today, so a customer is never seen after `today`.
      firstSeenMs = window.startMs + rng.int(0, window.days - 2) * DAY_MS + rng.int(7 * 3600, 21 * 3600) * 1000;
    }
    return { firstSeenSec: Math.floor(firstSeenMs / 1000), tier, homeStoreId: store.id, weight: Math.exp(1.3 * Math.min(z, 2.6)) };
  });
  drafts.sort((a, b) => a.firstSeenSec - b.firstSeenSec);
  return drafts;
}

export function buildWorld(seed: number, scale: number, window: Window): { world: World; customers: SeedCustomer[] } {
  const rng = new Random(seed, 'world');
  const stores = buildStores(rng, Math.max(3, Math.round(20 * Math.sqrt(scale))), window);
  const storeTable = weightTable(stores.map((s, i) => [i, s.weight] as const));
  const { products, productTables } = buildProducts(rng);
  const drafts = buildCustomers(new Random(seed, 'customers'), Math.max(20, Math.round(50_000 * scale)), stores, storeTable, window);
  const pools = [...stores.map(() => new CustomerPool()), new CustomerPool()];
  const customers = drafts.map((draft, i) => {
    const id = i + 1;
    const firstDay = Math.floor((draft.firstSeenSec * 1000 - window.startMs) / DAY_MS);
    pools[draft.homeStoreId - 1].add(id, firstDay, draft.weight);
    pools[stores.length].add(id, firstDay, draft.weight);
    return { id, firstSeenSec: draft.firstSeenSec, tier: draft.tier, homeStoreId: draft.homeStoreId };
  });
  const sessionHours = weightTable(SESSION_HOURS.map((w, h) => [h, w] as const));
  return {
    world: { window, stores, storeTable, products, productTables, customerCount: customers.length, pools, sessionHours },
    customers,
  };
}
