import type { RequestContext } from '../context.js';
import type { Db } from '../db/database.js';
import { toCategory, toCustomer, toProduct, toStore } from './entity-mappers.js';
import { byKeys } from './loader-registry.js';

type EntityTable = 'stores' | 'products' | 'categories' | 'customers';

export interface PrimaryKeyLoad<V> {
  (ctx: RequestContext, id: number): Promise<V | null>;
  /**
   * Fetches the rows for `ids` now and primes the loader with them, so fields below a
   * batch of analytic rows cost one statement per batch, deterministically, instead of
   * depending on which batches happen to finish in the same tick.
   */
  prime(ctx: RequestContext, ids: readonly number[]): Promise<void>;
}

/** A primary-key loader: N ids → one `WHERE id = ANY($1)`; missing ids resolve to null. */
function primaryKeyLoader<Row extends { id: number }, V>(table: EntityTable, map: (row: Row) => V): PrimaryKeyLoad<V> {
  const fetch = (db: Db, ids: number[]) =>
    db
      .selectFrom(table)
      .selectAll()
      .where('id', '=', (eb) => eb.fn.any(eb.val(ids)))
      .execute() as unknown as Promise<Row[]>;
  const loaderOf = (ctx: RequestContext) =>
    ctx.loaders.get<number, V | null>(`${table}ById`, '', async (ids) => {
      const rows = await fetch(ctx.readDb, [...ids]);
      return byKeys(ids, new Map(rows.map((r) => [r.id, map(r)])), () => null);
    });
  const load = (ctx: RequestContext, id: number) => loaderOf(ctx).load(id);
  return Object.assign(load, {
    async prime(ctx: RequestContext, ids: readonly number[]) {
      const unique = [...new Set(ids)];
      if (unique.length === 0) return;
      const loader = loaderOf(ctx);
      for (const row of await fetch(ctx.readDb, unique)) loader.prime(row.id, map(row));
    },
  });
}

export const loadStore = primaryKeyLoader('stores', toStore);
export const loadProduct = primaryKeyLoader('products', toProduct);
export const loadCategory = primaryKeyLoader('categories', toCategory);
export const loadCustomer = primaryKeyLoader('customers', toCustomer);
