import type { RequestContext } from '../context.js';
import { utcDayOf } from '../days.js';
import { addToStock, onHandOf } from '../db/writes/adjust-inventory.js';
import { BadUserInputError, NotFoundError } from '../errors.js';
import { InventoryStatus } from '../schema/enums.js';
import type { InventoryLevel } from '../schema/types/inventory-level.type.js';

const MAX_DELTA = 1_000_000;

/**
 * Adds `delta` to a stock level (the caller has checked the store is the key's to
 * write) and answers with the level this write produced; refuses a result below zero
 * instead of clamping it, saying how much is on hand. Then tells the cache
 * (services.afterWrite) what the write touched.
 */
export async function adjustInventory(
  ctx: RequestContext,
  input: { storeId: number; productId: number; delta: number },
): Promise<InventoryLevel> {
  if (!Number.isInteger(input.delta) || input.delta === 0 || Math.abs(input.delta) > MAX_DELTA) {
    throw new BadUserInputError(`delta must be a non-zero integer between -${MAX_DELTA} and ${MAX_DELTA}, got ${input.delta}`, {
      argument: 'delta',
    });
  }
  const { db } = ctx.services.database;
  const today = utcDayOf(new Date());
  const level = await addToStock(db, { ...input, today });
  if (!level) {
    // Nothing was updated: tell a missing level from a refused delta (a second read, only on this error path).
    const onHand = await onHandOf(db, input.storeId, input.productId);
    if (onHand === null) throw new NotFoundError('Inventory level of store/product', `${input.storeId}/${input.productId}`);
    throw new BadUserInputError(
      `delta ${input.delta} would leave ${onHand + input.delta} on hand (now ${onHand}); stock cannot go below zero`,
      {
        argument: 'delta',
      },
    );
  }
  await ctx.services.afterWrite({ kind: 'inventory', storeId: input.storeId, productIds: [input.productId], day: today });
  return { ...level, status: level.status as InventoryStatus };
}
