import type { WriteEvent } from '../services.js';
import { writeTags } from './tag-vocabulary.js';

const tag = writeTags('committedWrite');

/**
 * The tags a committed write touches — exactly the answers it can change:
 * an order changes its store's sales in its day buckets, the chain-wide sales of those
 * buckets, each sold product's sales, the store's customers and stock, and its
 * customer's orders; a stock adjustment changes the store's inventory.
 */
export function tagsForWrite(write: WriteEvent): string[] {
  if (write.kind === 'inventory') return [tag.storeInventory(write.storeId)];
  return [
    ...tag.storeSales(write.storeId, write.day),
    ...tag.sales(write.day),
    ...write.productIds.flatMap((id) => tag.productSales(id, write.day)),
    tag.storeCustomers(write.storeId),
    tag.storeInventory(write.storeId),
    ...(write.customerId ? [tag.customerOrders(write.customerId)] : []),
  ];
}
