import type { Db } from '../database.js';
import type { ProductRow } from '../rows.js';
import type { Page } from './cursor.js';
import { keysetPage } from './keyset-page.js';

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
  return keysetPage(filtered, opts);
}
