import { sql, type Transaction } from 'kysely';
import type { Db } from '../database.js';
import type { OrderRow } from '../rows.js';
import type { Channel, Tables } from '../tables.js';

/**
 * The statements of recording one order (src/use-cases/record-order.ts decides what to
 * write and runs them in one transaction, in this order).
 */

/** A product's catalogue price and cost: what its order line is charged and costed at. */
export interface ProductPrice {
  id: number;
  unit_price: number;
  unit_cost: number;
}

export interface OrderLine extends ProductPrice {
  quantity: number;
}

/** A client's idempotency key and the digest of the request it came with (db/migrations/004_order_idempotency.ts). */
export interface OrderIdempotency {
  key: string;
  fingerprint: string;
}

/** The unique index on (store_id, idempotency_key) that db/migrations/004_order_idempotency.ts creates. */
const IDEMPOTENCY_KEY_INDEX = 'orders_store_idempotency_key_idx';

/**
 * True for the error of inserting an order whose (store, idempotency key) another
 * transaction has committed meanwhile: 23505 unique_violation on that index, and only
 * there (any other unique violation is a different failure).
 */
export function isIdempotencyKeyTaken(error: unknown): boolean {
  const e = error as { code?: unknown; constraint?: unknown } | null | undefined;
  return e?.code === '23505' && e.constraint === IDEMPOTENCY_KEY_INDEX;
}

/** The order recorded at a store with an idempotency key, if any. */
export async function orderByIdempotencyKey(db: Db, storeId: number, key: string): Promise<OrderRow | undefined> {
  return db.selectFrom('orders').selectAll().where('store_id', '=', storeId).where('idempotency_key', '=', key).executeTakeFirst();
}

export async function customerExists(trx: Transaction<Tables>, customerId: number): Promise<boolean> {
  const customer = await trx.selectFrom('customers').select('id').where('id', '=', customerId).executeTakeFirst();
  return customer !== undefined;
}

/** The prices of the products that exist among `productIds` (missing ones are simply absent). */
export async function productPrices(trx: Transaction<Tables>, productIds: readonly number[]): Promise<ProductPrice[]> {
  return trx
    .selectFrom('products')
    .select(['id', 'unit_price', 'unit_cost'])
    .where('id', '=', (eb) => eb.fn.any(eb.val([...productIds])))
    .execute();
}

export async function insertCompletedOrder(
  trx: Transaction<Tables>,
  order: {
    storeId: number;
    customerId: number | null;
    placedAt: Date;
    channel: Channel;
    itemCount: number;
    total: number;
    /** A second order with the same (store, key) fails: see isIdempotencyKeyTaken. */
    idempotency?: OrderIdempotency | null;
  },
): Promise<OrderRow> {
  return trx
    .insertInto('orders')
    .values({
      store_id: order.storeId,
      customer_id: order.customerId,
      placed_at: order.placedAt,
      status: 'COMPLETED',
      channel: order.channel,
      item_count: order.itemCount,
      total: order.total,
      idempotency_key: order.idempotency?.key ?? null,
      idempotency_fingerprint: order.idempotency?.fingerprint ?? null,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** All lines in one statement (unnest), at the prices given. */
export async function insertOrderLines(trx: Transaction<Tables>, orderId: number, lines: readonly OrderLine[]): Promise<void> {
  await sql`
    INSERT INTO order_items (order_id, product_id, quantity, unit_price, unit_cost)
    SELECT ${orderId}, * FROM unnest(${lines.map((l) => l.id)}::int[], ${lines.map((l) => l.quantity)}::int[],
                                      ${lines.map((l) => l.unit_price)}::numeric[], ${lines.map((l) => l.unit_cost)}::numeric[])`.execute(
    trx,
  );
}

/** Takes the sold quantities off the store's shelf; a sale never leaves less than nothing on hand. */
export async function takeSoldStock(trx: Transaction<Tables>, storeId: number, lines: readonly OrderLine[]): Promise<void> {
  await sql`
    UPDATE inventory_levels il SET on_hand = GREATEST(il.on_hand - sold.quantity, 0), updated_at = now()
      FROM unnest(${lines.map((l) => l.id)}::int[], ${lines.map((l) => l.quantity)}::int[]) AS sold(product_id, quantity)
     WHERE il.store_id = ${storeId} AND il.product_id = sold.product_id`.execute(trx);
}
