import { sql } from 'kysely';
import type { RequestContext } from '../../context.js';
import { BadUserInputError, NotFoundError } from '../../errors.js';
import { loadStore } from '../../loaders/entity-by-id.loader.js';
import { toOrder } from '../../loaders/entity-mappers.js';
import { parseId } from '../../schema/arguments.js';
import type { OrderInput } from '../../schema/inputs/order.input.js';
import type { Order } from '../../schema/types/order.type.js';
import { assertStoreVisible } from '../../auth/principal.js';
import { principalOf } from '../../schema/auth-checker.js';
import { markDayWritten, utcDay } from '../queries/refresh-aggregates.js';

const MAX_LINES = 100;
const MAX_QUANTITY = 1000;
const FUTURE_TOLERANCE_MS = 5 * 60_000;
const MAX_AGE_DAYS = 731;

/**
 * Validates and writes one completed order with its lines in one transaction: the order,
 * its items at the catalogue price and cost, the stock taken off the shelf, and the
 * aggregate watermark pulled back when the order lands on a closed day.
 */
export async function recordOrder(ctx: RequestContext, input: OrderInput): Promise<Order> {
  const storeId = parseId(input.storeId, 'input.storeId');
  assertStoreVisible(principalOf(ctx), storeId);
  const customerId = input.customerId === null || input.customerId === undefined ? null : parseId(input.customerId, 'input.customerId');
  if (input.items.length === 0 || input.items.length > MAX_LINES) {
    throw new BadUserInputError(`input.items must have 1 to ${MAX_LINES} lines, got ${input.items.length}`, { argument: 'input.items' });
  }
  const quantities = new Map<number, number>();
  input.items.forEach((item, index) => {
    const productId = parseId(item.productId, `input.items[${index}].productId`);
    if (!Number.isInteger(item.quantity) || item.quantity < 1 || item.quantity > MAX_QUANTITY) {
      throw new BadUserInputError(`input.items[${index}].quantity must be 1 to ${MAX_QUANTITY}, got ${item.quantity}`, {
        argument: `input.items[${index}].quantity`,
      });
    }
    quantities.set(productId, (quantities.get(productId) ?? 0) + item.quantity);
  });
  const now = Date.now();
  const placedAt = input.placedAt ?? new Date(now);
  if (placedAt.getTime() > now + FUTURE_TOLERANCE_MS) {
    throw new BadUserInputError(`input.placedAt ${placedAt.toISOString()} is in the future`, { argument: 'input.placedAt' });
  }
  if (placedAt.getTime() < now - MAX_AGE_DAYS * 86_400_000) {
    throw new BadUserInputError(`input.placedAt ${placedAt.toISOString()} is more than ${MAX_AGE_DAYS} days ago`, { argument: 'input.placedAt' });
  }
  if (!(await loadStore(ctx, storeId))) throw new NotFoundError('Store', String(storeId));

  const productIds = [...quantities.keys()];
  const written = await ctx.services.database.db.transaction().execute(async (trx) => {
    if (customerId !== null) {
      const customer = await trx.selectFrom('customers').select('id').where('id', '=', customerId).executeTakeFirst();
      if (!customer) throw new NotFoundError('Customer', String(customerId));
    }
    const products = await trx
      .selectFrom('products')
      .select(['id', 'unit_price', 'unit_cost'])
      .where('id', '=', (eb) => eb.fn.any(eb.val(productIds)))
      .execute();
    const missing = productIds.filter((id) => !products.some((p) => p.id === id));
    if (missing.length) throw new NotFoundError('Product', missing.join(','));

    const lines = products.map((p) => ({ ...p, quantity: quantities.get(p.id) ?? 0 }));
    const cents = lines.reduce((sum, l) => sum + Math.round(l.unit_price * 100) * l.quantity, 0);
    const order = await trx
      .insertInto('orders')
      .values({
        store_id: storeId,
        customer_id: customerId,
        placed_at: placedAt,
        status: 'COMPLETED',
        channel: input.channel,
        item_count: lines.reduce((sum, l) => sum + l.quantity, 0),
        total: cents / 100,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await sql`
      INSERT INTO order_items (order_id, product_id, quantity, unit_price, unit_cost)
      SELECT ${order.id}, * FROM unnest(${lines.map((l) => l.id)}::int[], ${lines.map((l) => l.quantity)}::int[],
                                        ${lines.map((l) => l.unit_price)}::numeric[], ${lines.map((l) => l.unit_cost)}::numeric[])`.execute(trx);
    await sql`
      UPDATE inventory_levels il SET on_hand = GREATEST(il.on_hand - sold.quantity, 0), updated_at = now()
        FROM unnest(${lines.map((l) => l.id)}::int[], ${lines.map((l) => l.quantity)}::int[]) AS sold(product_id, quantity)
       WHERE il.store_id = ${storeId} AND il.product_id = sold.product_id`.execute(trx);
    const day = utcDay(placedAt);
    if (day < utcDay(new Date(now))) await markDayWritten(trx, day);
    return order;
  });
  const order = toOrder(written);
  await ctx.services.afterWrite?.({ kind: 'order', storeId, productIds, customerId, day: utcDay(placedAt) });
  return order;
}
