import { assertStoreVisible } from '../auth/principal.js';
import type { RequestContext } from '../context.js';
import { markDayWritten } from '../db/queries/refresh-aggregates.js';
import { customerExists, insertCompletedOrder, insertOrderLines, productPrices, takeSoldStock } from '../db/writes/record-order.js';
import { BadUserInputError, NotFoundError } from '../errors.js';
import { loadStore } from '../loaders/entity-by-id.loader.js';
import { toOrder } from '../loaders/entity-mappers.js';
import { parseId } from '../schema/arguments.js';
import { principalOf } from '../schema/auth-checker.js';
import type { OrderInput } from '../schema/inputs/order.input.js';
import type { Order } from '../schema/types/order.type.js';
import { DAY_MS, MAX_RANGE_DAYS, utcDayOf } from '../days.js';

const MAX_LINES = 100;
const MAX_QUANTITY = 1000;
const FUTURE_TOLERANCE_MS = 5 * 60_000;
/** An order may be backdated as far as the longest range a query may ask about. */
const MAX_AGE_DAYS = MAX_RANGE_DAYS;

/**
 * Validates and writes one completed order with its lines in one transaction: the order,
 * its items at the catalogue price and cost, the stock taken off the shelf, and the
 * aggregate watermark pulled back when the order lands on a closed day. Then tells the
 * cache (services.afterWrite) what the write touched.
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
  if (placedAt.getTime() < now - MAX_AGE_DAYS * DAY_MS) {
    throw new BadUserInputError(`input.placedAt ${placedAt.toISOString()} is more than ${MAX_AGE_DAYS} days ago`, {
      argument: 'input.placedAt',
    });
  }
  if (!(await loadStore(ctx, storeId))) throw new NotFoundError('Store', String(storeId));

  const productIds = [...quantities.keys()];
  const written = await ctx.services.database.db.transaction().execute(async (trx) => {
    if (customerId !== null && !(await customerExists(trx, customerId))) throw new NotFoundError('Customer', String(customerId));
    const products = await productPrices(trx, productIds);
    const missing = productIds.filter((id) => !products.some((p) => p.id === id));
    if (missing.length) throw new NotFoundError('Product', missing.join(','));

    const lines = products.map((p) => ({ ...p, quantity: quantities.get(p.id) ?? 0 }));
    // Summed in cents: a sum of float prices would drift from what the lines add up to.
    const cents = lines.reduce((sum, l) => sum + Math.round(l.unit_price * 100) * l.quantity, 0);
    const order = await insertCompletedOrder(trx, {
      storeId,
      customerId,
      placedAt,
      channel: input.channel,
      itemCount: lines.reduce((sum, l) => sum + l.quantity, 0),
      total: cents / 100,
    });
    await insertOrderLines(trx, order.id, lines);
    await takeSoldStock(trx, storeId, lines);
    const day = utcDayOf(placedAt);
    if (day < utcDayOf(new Date(now))) await markDayWritten(trx, day);
    return order;
  });
  const order = toOrder(written);
  await ctx.services.afterWrite({ kind: 'order', storeId, productIds, customerId, day: utcDayOf(placedAt) });
  return order;
}
