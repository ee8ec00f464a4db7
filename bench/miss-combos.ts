import { Random } from '../db/seed/random.js';
import { DAY_MS } from '../src/days.js';

/** The analytic Store fields the miss scenarios ask. */
export const MISS_FIELDS = ['revenue', 'topProducts', 'trafficPatterns', 'customerInsights'] as const;
export type MissField = (typeof MISS_FIELDS)[number];

export interface MissCombo {
  storeId: string;
  range: { from: string; to: string };
}

const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);
/** Range lengths asked, in days (inclusive bounds). */
export const MIN_RANGE_DAYS = 7;
export const MAX_RANGE_DAYS = 90;

/**
 * Every (store, range) of the data window — ranges of 7..90 days starting on any of its
 * days and ending inside it — in one fixed pseudo-random order, handed out so that no
 * field is ever asked the same store and range twice: each field has a cursor into the
 * order, and a request asking several fields takes the first combination none of them
 * has passed. A cache entry is keyed by field, store and range, so every analytic field
 * of every request is a miss in every tier. Throws when the combinations run out (the
 * run then fails; 20 stores at scale 1 give 222,600 per field) and, as a guard, if a
 * combination were ever handed out twice for one field.
 */
export class MissCombos {
  private readonly stores: Uint16Array;
  private readonly starts: Uint16Array;
  private readonly lengths: Uint8Array;
  /** A permutation of 0..size-1 (Fisher–Yates over the bench PRNG: the same order every run). */
  private readonly order: Uint32Array;
  private readonly cursors = new Map<MissField, number>();
  private readonly used = new Map<MissField, Set<number>>();
  private readonly firstDayMs: number;

  /**
   * @param storeIds the stores of the data set
   * @param lastDay the data's last UTC day (YYYY-MM-DD)
   * @param days how many days the data covers up to lastDay (the seed's window: 180)
   */
  constructor(
    private readonly storeIds: readonly string[],
    lastDay: string,
    days: number,
    seed = 11,
  ) {
    if (!storeIds.length) throw new Error('MissCombos: no store ids');
    if (days < MIN_RANGE_DAYS)
      throw new Error(`MissCombos: a ${days}-day window is shorter than the shortest range (${MIN_RANGE_DAYS} days)`);
    const lastMs = Date.parse(`${lastDay}T00:00:00Z`);
    if (!Number.isFinite(lastMs)) throw new Error(`MissCombos: lastDay must be YYYY-MM-DD, got "${lastDay}"`);
    this.firstDayMs = lastMs - (days - 1) * DAY_MS;
    const maxLength = Math.min(MAX_RANGE_DAYS, days);
    let perStore = 0;
    for (let length = MIN_RANGE_DAYS; length <= maxLength; length += 1) perStore += days - length + 1;
    const size = perStore * storeIds.length;
    this.stores = new Uint16Array(size);
    this.starts = new Uint16Array(size);
    this.lengths = new Uint8Array(size);
    let i = 0;
    for (let store = 0; store < storeIds.length; store += 1) {
      for (let length = MIN_RANGE_DAYS; length <= maxLength; length += 1) {
        for (let start = 0; start + length <= days; start += 1, i += 1) {
          this.stores[i] = store;
          this.starts[i] = start;
          this.lengths[i] = length;
        }
      }
    }
    this.order = new Uint32Array(size);
    for (let k = 0; k < size; k += 1) this.order[k] = k;
    const random = new Random(seed, 'bench-miss');
    for (let k = size - 1; k > 0; k -= 1) {
      const j = Math.floor(random.next() * (k + 1));
      const swap = this.order[k];
      this.order[k] = this.order[j];
      this.order[j] = swap;
    }
  }

  /** Combinations in all (per field). */
  get size(): number {
    return this.order.length;
  }

  /** Combinations already handed out (or skipped) for `field`. */
  consumed(field: MissField): number {
    return this.cursors.get(field) ?? 0;
  }

  /** The next combination never asked for any of `fields`. */
  next(fields: readonly MissField[]): MissCombo {
    const position = Math.max(...fields.map((f) => this.consumed(f)));
    if (position >= this.size) {
      throw new Error(
        `every one of the ${this.size} store × range combinations was already asked for ${fields.join(', ')}: ` +
          'a run this long repeats them (shorter --duration, or more stores)',
      );
    }
    const combo = this.order[position];
    for (const field of fields) {
      let used = this.used.get(field);
      if (!used) this.used.set(field, (used = new Set()));
      if (used.has(combo)) throw new Error(`MissCombos: combination ${combo} handed out twice for ${field} (a bug in the generator)`);
      used.add(combo);
      this.cursors.set(field, position + 1);
    }
    const startMs = this.firstDayMs + this.starts[combo] * DAY_MS;
    return {
      storeId: this.storeIds[this.stores[combo]],
      range: { from: isoDay(startMs), to: isoDay(startMs + (this.lengths[combo] - 1) * DAY_MS) },
    };
  }
}
