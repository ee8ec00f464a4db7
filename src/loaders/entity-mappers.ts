import type { Selectable } from 'kysely';
import type { CategoriesTable, CustomersTable, OrdersTable, ProductsTable, StoresTable } from '../db/tables.js';
import { Channel, OrderStatus } from '../schema/enums.js';
import type { Category } from '../schema/types/category.type.js';
import type { Customer } from '../schema/types/customer.type.js';
import type { Order } from '../schema/types/order.type.js';
import type { Product } from '../schema/types/product.type.js';
import type { Store } from '../schema/types/store.type.js';

/** Row → GraphQL parent object. Relations stay as ids; loaders resolve them. */
export const toStore = (r: Selectable<StoresTable>): Store => ({ id: r.id, name: r.name, city: r.city, openedAt: r.opened_at });
export const toCategory = (r: Selectable<CategoriesTable>): Category => ({ id: r.id, name: r.name });
export const toProduct = (r: Selectable<ProductsTable>): Product => ({
  id: r.id,
  sku: r.sku,
  name: r.name,
  unitPrice: r.unit_price,
  categoryId: r.category_id,
});
export const toCustomer = (r: Selectable<CustomersTable>): Customer => ({
  id: r.id,
  firstSeenAt: r.first_seen_at,
  loyaltyTier: r.loyalty_tier,
  homeStoreId: r.home_store_id,
});
export const toOrder = (r: Selectable<OrdersTable>): Order => ({
  id: r.id,
  placedAt: r.placed_at,
  status: r.status as OrderStatus,
  channel: r.channel as Channel,
  total: r.total,
  storeId: r.store_id,
  customerId: r.customer_id,
});
