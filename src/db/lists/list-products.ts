import type { Db } from '../database.js';
import type { ProductRow } from '../rows.js';
import { toPage, type Page } from './cursor.js';

/** Products by id, optionally of one category and matching a case-insensitive name/SKU search. */
export async function listProducts(
  db: Db,
  opts: { first: number; after: number | null; categoryId: number | null; search: string | null },
): Promise<Page<ProductRow>> {
  const pattern = opts.search ? `%${opts.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%` : null;
  const filtered = db
    .selectFrom('products')
    .$if(opts.categoryId !== null, (q) => q.where('category_id', '=', opts.categoryId ?? 0))
    .$if(pattern !== null, (q) => q.where((eb) => eb.or([eb('name', 'ilike', pattern ?? ''), eb('sku', 'ilike', pattern ?? '')])));
  const [rows, count] = await Promise.all([
    filtered
      .selectAll()
      .$if(opts.after !== null, (q) => q.where('id', '>', opts.after ?? 0))
      .orderBy('id')
      .limit(opts.first + 1)
      .execute(),
    filtered.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return toPage(rows, opts.first, Number(count.n));
}
