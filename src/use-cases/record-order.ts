import { assertStoreVisible } from '../auth/principal.js';
import type { RequestContext } from '../context.js';
import { markDayWritten } from '../db/queries/refresh-aggregates.js';
import type { OrderRow } from '../db/rows.js';
import {
  customerExists,
  insertCompletedOrder,
  insertOrderLines,
  isIdempotencyKeyTaken,
  orderByIdempotencyKey,
  productPrices,
  takeSoldStock,
} from '../db/writes/record-order.js';
import { BadUserInputError, NotFoundError } from '../errors.js';
import { loadStore } from '../loaders/entity-by-id.loader.js';
import { toOrder } from '../loaders/entity-mappers.js';
import { parseId } from '../schema/arguments.js';
import { principalOf } from '../schema/auth-checker.js';
import type { OrderInput } from '../schema/inputs/order.input.js';
import type { Order } from '../schema/types/order.type.js';
import { DAY_MS, MAX_RANGE_DAYS, utcDayOf } from '../days.js';
import { orderIdempotency, replayOf } from './order-idempotency.js';

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
 *
 * With `input.idempotencyKey`, a key already used at the store answers with the order it
 * recorded and writes nothing, not even a cache invalidation: the first call did both.
 * Two calls racing with one key both insert; the unique index makes the later one wait for
 * the earlier's commit and fail, its transaction rolls back whole, and it answers with the
 * earlier's order (src/use-cases/order-idempotency.ts has the comparison rule).
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
  const idempotency = orderIdempotency(input.idempotencyKey, {
    storeId,
    customerId,
    channel: input.channel,
    placedAt: input.placedAt ?? null,
    quantities,
  });
  const db = ctx.services.database.db;
  // Before the checks against the clock and the catalogue: a retry of an order that was
  // recorded gets that order, even once its placedAt has left the accepted window or one
  // of its products is gone.
  const recorded = idempotency && (await orderByIdempotencyKey(db, storeId, idempotency.key));
  if (recorded) return toOrder(replayOf(recorded, idempotency));
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
  let written: OrderRow;
  try {
    written = await db.transaction().execute(async (trx) => {
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
        idempotency,
      });
      await insertOrderLines(trx, order.id, lines);
      await takeSoldStock(trx, storeId, lines);
      const day = utcDayOf(placedAt);
      if (day < utcDayOf(new Date(now))) await markDayWritten(trx, day);
      return order;
    });
  } catch (error) {
    if (!idempotency || !isIdempotencyKeyTaken(error)) throw error;
    // A concurrent call with this key committed first: the unique index made our insert
    // wait for it and fail, and our transaction rolled back whole. Its order is the answer,
    // and that call tells the cache about it.
    const winner = await orderByIdempotencyKey(db, storeId, idempotency.key);
    // Orders are never deleted, so a committed winner is there to read; anything else is a bug to report.
    if (!winner) {
      throw new Error(`Idempotency key ${JSON.stringify(idempotency.key)} at store ${storeId} is taken, but no order carries it`, {
        cause: error,
      });
    }
    return toOrder(replayOf(winner, idempotency));
  }
  const order = toOrder(written);
  await ctx.services.afterWrite({ kind: 'order', storeId, productIds, customerId, day: utcDayOf(placedAt) });
  return order;
}
