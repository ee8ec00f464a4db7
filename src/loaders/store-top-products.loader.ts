import type { DayRange, ProductPerformanceRow } from '../db/queries/analytics-types.js';
import { storeTopProducts } from '../db/queries/store-top-products.query.js';
import { analyticLoader } from './analytic-loader.js';
import { loadProduct } from './entity-by-id.loader.js';

export const loadStoreTopProducts = analyticLoader<{ range: DayRange; limit: number }, ProductPerformanceRow[]>(
  'storeTopProducts',
  ({ db, ids, args, coveredUntil }) => storeTopProducts(db, { storeIds: ids, range: args.range, limit: args.limit, coveredUntil }),
  () => [],
  (ctx, rows) =>
    loadProduct.prime(
      ctx,
      [...rows.values()].flatMap((list) => list.map((row) => row.productId)),
    ),
);
