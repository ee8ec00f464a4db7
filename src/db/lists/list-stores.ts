import type { Db } from '../database.js';
import type { StoreRow } from '../rows.js';
import type { Page } from './cursor.js';
import { keysetPage } from './keyset-page.js';

/** Stores by id within a key's scope (null = all); the page and the total run side by side. */
export async function listStores(
  db: Db,
  opts: { first: number; after: number | null; storeIds: readonly number[] | null },
): Promise<Page<StoreRow>> {
  const scoped = db
    .selectFrom('stores')
    .$if(opts.storeIds !== null, (q) => q.where('id', '=', (eb) => eb.fn.any(eb.val([...(opts.storeIds ?? [])]))));
  return keysetPage(scoped, opts);
}
