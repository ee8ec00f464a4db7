import { sql } from 'kysely';
import { writeTags } from '../cache/tag-vocabulary.js';
import type { Db } from '../db/database.js';

/**
 * What a refresh changed, to invalidate exactly those answers. A fingerprint is an md5
 * per (view, store or product, day) over the view's rows in a stable order; buckets whose
 * fingerprint differs before and after the refresh are the data that changed.
 */
export type Fingerprints = Map<string, string>;

/**
 * Each part: its key letter, the view, the id column it groups by, and the columns hashed:
 * a day's own facts only. Running totals and neighbour days (mv_customer_behavior's
 * spend_to_date, previous_day, next_day; the *_to_date views) change on every later day
 * when one day changes, so hashing them would flag days whose answers did not change.
 * The *_to_date views are derived from mv_hourly_traffic and mv_product_performance, so
 * the parts of those two already name every bucket whose answers changed.
 */
const PARTS = [
  { part: 'revenue', view: 'mv_daily_revenue', id: 'store_id', columns: ['store_id', 'day', 'revenue', 'orders', 'items'] },
  { part: 'traffic', view: 'mv_hourly_traffic', id: 'store_id', columns: ['store_id', 'day', 'hour', 'orders', 'revenue'] },
  {
    part: 'storeProducts',
    view: 'mv_product_performance',
    id: 'store_id',
    columns: ['store_id', 'product_id', 'day', 'units', 'revenue', 'cost'],
  },
  {
    part: 'products',
    view: 'mv_product_performance',
    id: 'product_id',
    columns: ['store_id', 'product_id', 'day', 'units', 'revenue', 'cost'],
  },
  { part: 'customers', view: 'mv_customer_behavior', id: 'store_id', columns: ['store_id', 'customer_id', 'day', 'orders', 'revenue'] },
] as const;
type Part = (typeof PARTS)[number]['part'];

export async function fingerprintViews(db: Db): Promise<Fingerprints> {
  const { rows: populated } = await sql<{ matviewname: string }>`SELECT matviewname FROM pg_matviews WHERE ispopulated`.execute(db);
  const ready = new Set(populated.map((r) => r.matviewname));
  const prints: Fingerprints = new Map();
  // An unpopulated view (fresh migration) has no rows to compare: everything in it after the refresh is new.
  for (const { part, view, id, columns } of PARTS.filter((p) => ready.has(p.view))) {
    const row = sql`ROW(${sql.join(columns.map((c) => sql.ref(`t.${c}`)))})::text`;
    const { rows } = await sql<{ id: number; day: string; hash: string }>`
      SELECT ${sql.ref(id)} AS id, day::text AS day, md5(string_agg(${row}, '|' ORDER BY ${row})) AS hash
        FROM ${sql.table(view)} AS t
       GROUP BY 1, 2`.execute(db);
    for (const row of rows) prints.set(`${part}|${row.id}|${row.day}`, row.hash);
  }
  return prints;
}

export interface ViewChanges {
  /** `part|id|day` of every bucket whose rows differ. */
  buckets: string[];
  tags: string[];
  storeIds: number[];
  days: string[];
}

const tag = writeTags('refreshAggregates');

/** The cache tags (src/cache/tag-vocabulary.ts) of the buckets that differ between two fingerprint sets. */
export function changesBetween(before: Fingerprints, after: Fingerprints): ViewChanges {
  const buckets = [...new Set([...before.keys(), ...after.keys()])].filter((key) => before.get(key) !== after.get(key)).sort();
  const tags = new Set<string>();
  const storeIds = new Set<number>();
  const days = new Set<string>();
  for (const key of buckets) {
    const [part, idText, day] = key.split('|') as [Part, string, string];
    const id = Number(idText);
    days.add(day);
    if (part === 'products') {
      for (const productTag of tag.productSales(id, day)) tags.add(productTag);
      continue;
    }
    storeIds.add(id);
    if (part === 'customers') {
      tags.add(tag.storeCustomers(id));
      continue;
    }
    for (const salesTag of [...tag.storeSales(id, day), ...tag.sales(day)]) tags.add(salesTag);
  }
  return { buckets, tags: [...tags].sort(), storeIds: [...storeIds].sort((a, b) => a - b), days: [...days].sort() };
}
