import { sql, type Selectable, type SelectQueryBuilder } from 'kysely';
import type { Tables } from '../tables.js';
import { toPage, type Page } from './cursor.js';

/** The tables listed in pages keyed by their integer id. */
type Listed = 'stores' | 'products' | 'orders';
type RowOf<T extends Listed> = Selectable<Tables[T]> & { id: number };

/**
 * One page of `filtered`'s rows in id order (newest first with `descending`) after the
 * cursor's id, and the filter's total: the two statements run side by side.
 */
export async function keysetPage<T extends Listed>(
  filtered: SelectQueryBuilder<Tables, T, object>,
  opts: { first: number; after: number | null; descending?: boolean },
): Promise<Page<RowOf<T>>> {
  const id = sql.ref<number>('id');
  const [rows, count] = await Promise.all([
    filtered
      .selectAll()
      .$if(opts.after !== null, (q) => q.where(id, opts.descending ? '<' : '>', opts.after ?? 0))
      .orderBy(id, opts.descending ? 'desc' : undefined)
      .limit(opts.first + 1)
      .execute(),
    filtered.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
  ]);
  // selectAll() is the table's row, but Kysely cannot spell that type for a table named by a type parameter.
  return toPage(rows as unknown as RowOf<T>[], opts.first, Number(count.n));
}
