import type { InventoryRow, InventoryStatus } from '../db/queries/analytics-types.js';
import { storeInventory } from '../db/queries/store-inventory.query.js';
import { analyticLoader } from './analytic-loader.js';
import { loadProduct } from './entity-by-id.loader.js';

export const loadStoreInventory = analyticLoader<{ status: 'ALL' | InventoryStatus; first: number }, InventoryRow[]>(
  'storeInventory',
  ({ db, ids, args, today, coveredUntil }) =>
    storeInventory(db, { storeIds: ids, status: args.status, first: args.first, today, coveredUntil }),
  () => [],
  (ctx, rows) =>
    loadProduct.prime(
      ctx,
      [...rows.values()].flatMap((list) => list.map((row) => row.productId)),
    ),
);
