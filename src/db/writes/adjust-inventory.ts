import { sql } from 'kysely';
import type { RequestContext } from '../../context.js';
import { BadUserInputError, NotFoundError } from '../../errors.js';
import type { InventoryLevel } from '../../schema/types/inventory-level.type.js';
import { InventoryStatus } from '../../schema/enums.js';
import { selectInventoryRows } from '../queries/inventory-rows.js';
import { utcDay } from '../queries/refresh-aggregates.js';

const MAX_DELTA = 1_000_000;

/**
 * Adds `delta` to a stock level atomically and answers with the level this write
 * produced (the UPDATE is the statement's first step, so a concurrent write cannot slip
 * in between); refuses a result below zero instead of clamping it.
 */
export async function adjustInventory(ctx: RequestContext, input: { storeId: number; productId: number; delta: number }): Promise<InventoryLevel> {
  if (!Number.isInteger(input.delta) || input.delta === 0 || Math.abs(input.delta) > MAX_DELTA) {
    throw new BadUserInputError(`delta must be a non-zero integer between -${MAX_DELTA} and ${MAX_DELTA}, got ${input.delta}`, { argument: 'delta' });
  }
  const { db } = ctx.services.database;
  const today = utcDay(new Date());
  const [level] = await selectInventoryRows(db, {
    picked: sql`
      UPDATE inventory_levels SET on_hand = on_hand + ${input.delta}, updated_at = now()
       WHERE store_id = ${input.storeId} AND product_id = ${input.productId} AND on_hand + ${input.delta} >= 0
       RETURNING store_id, product_id, on_hand, reorder_point`,
    storeIds: [input.storeId],
    productIds: [input.productId],
    today,
  });
  if (!level) {
    const current = await db
      .selectFrom('inventory_levels')
      .select('on_hand')
      .where('store_id', '=', input.storeId)
      .where('product_id', '=', input.productId)
      .executeTakeFirst();
    if (!current) throw new NotFoundError('Inventory level of store/product', `${input.storeId}/${input.productId}`);
    throw new BadUserInputError(`delta ${input.delta} would leave ${current.on_hand + input.delta} on hand (now ${current.on_hand}); stock cannot go below zero`, {
      argument: 'delta',
    });
  }
  await ctx.services.afterWrite?.({ kind: 'inventory', storeId: input.storeId, productIds: [input.productId], day: today });
  return { ...level, status: level.status as InventoryStatus };
}
