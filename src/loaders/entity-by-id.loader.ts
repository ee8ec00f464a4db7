import type { RequestContext } from '../context.js';
import type { Db } from '../db/database.js';
import { toCategory, toCustomer, toProduct, toStore } from './entity-mappers.js';
import { byKeys } from './loader-registry.js';

type EntityTable = 'stores' | 'products' | 'categories' | 'customers';

/** A primary-key loader: N ids → one `WHERE id = ANY($1)`; missing ids resolve to null. */
function primaryKeyLoader<Row extends { id: number }, V>(table: EntityTable, map: (row: Row) => V) {
  const fetch = (db: Db, ids: number[]) =>
    db.selectFrom(table).selectAll().where('id', '=', (eb) => eb.fn.any(eb.val(ids))).execute() as unknown as Promise<Row[]>;
  return (ctx: RequestContext, id: number): Promise<V | null> =>
    ctx.loaders
      .get<number, V | null>(`${table}ById`, '', async (ids) => {
        const rows = await fetch(ctx.services.database.db, [...ids]);
        return byKeys(ids, new Map(rows.map((r) => [r.id, map(r)])), () => null);
      })
      .load(id);
}

export const loadStore = primaryKeyLoader('stores', toStore);
export const loadProduct = primaryKeyLoader('products', toProduct);
export const loadCategory = primaryKeyLoader('categories', toCategory);
export const loadCustomer = primaryKeyLoader('customers', toCustomer);
