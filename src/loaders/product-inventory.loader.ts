import type { RequestContext } from '../context.js';
import type { InventoryRow } from '../db/queries/analytics-types.js';
import { inventoryByPair } from '../db/queries/inventory-by-pair.query.js';
import { coveredUntil, requestToday } from './analytic-loader.js';

/** Product.inventory(storeId): (product, store) pairs of the request in one statement. */
export function loadProductInventory(ctx: RequestContext, productId: number, storeId: number): Promise<InventoryRow | null> {
  return ctx.loaders
    .get<string, InventoryRow | null>('productInventory', '', async (keys) => {
      const pairs = keys.map((key) => {
        const [s, p] = key.split(':').map(Number);
        return { storeId: s, productId: p };
      });
      const [today, covered] = await Promise.all([requestToday(ctx), coveredUntil(ctx)]);
      const rows = await inventoryByPair(ctx.readDb, { pairs, today, coveredUntil: covered });
      return keys.map((key) => rows.get(key) ?? null);
    })
    .load(`${storeId}:${productId}`);
}
