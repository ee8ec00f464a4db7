import type { Db } from '../database.js';
import type { StoreRow } from '../rows.js';
import { toPage, type Page } from './cursor.js';

/** Stores by id within a key's scope (null = all); the page and the total run side by side. */
export async function listStores(
  db: Db,
  opts: { first: number; after: number | null; storeIds: readonly number[] | null },
): Promise<Page<StoreRow>> {
  const scoped = db
    .selectFrom('stores')
    .$if(opts.storeIds !== null, (q) => q.where('id', '=', (eb) => eb.fn.any(eb.val([...(opts.storeIds ?? [])]))));
  const [rows, count] = await Promise.all([
    scoped
      .selectAll()
      .$if(opts.after !== null, (q) => q.where('id', '>', opts.after ?? 0))
      .orderBy('id')
      .limit(opts.first + 1)
      .execute(),
    scoped.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return toPage(rows, opts.first, Number(count.n));
}
