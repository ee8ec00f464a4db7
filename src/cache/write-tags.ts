import type { WriteEvent } from '../services.js';
import { dayBuckets } from './tags.js';

/**
 * The tags a committed write touches — exactly the answers it can change:
 * an order changes its store's sales in its day buckets, the chain-wide sales of those
 * buckets, each sold product's sales, the store's customers and stock, and its
 * customer's orders; a stock adjustment changes the store's inventory.
 */
export function tagsForWrite(write: WriteEvent): string[] {
  const store = `store:${write.storeId}`;
  if (write.kind === 'inventory') return [`${store}:inventory`];
  const buckets = dayBuckets(write.day);
  return [
    ...buckets.map((b) => `${store}:sales:${b}`),
    ...buckets.map((b) => `sales:${b}`),
    ...write.productIds.flatMap((id) => buckets.map((b) => `product:${id}:sales:${b}`)),
    `${store}:customers`,
    `${store}:inventory`,
    ...(write.customerId ? [`customer:${write.customerId}:orders`] : []),
  ];
}
