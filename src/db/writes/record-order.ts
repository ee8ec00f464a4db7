import { sql, type Transaction } from 'kysely';
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
  order: { storeId: number; customerId: number | null; placedAt: Date; channel: Channel; itemCount: number; total: number },
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
