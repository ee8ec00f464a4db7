import type { ColumnType, Generated } from 'kysely';

/**
 * Row types of db/migrations, as Kysely sees them. pg type parsers (database.ts) turn
 * numeric and bigint into numbers and leave date as 'YYYY-MM-DD' strings.
 */

type Timestamp = ColumnType<Date, Date | string, Date | string>;

export interface StoresTable {
  id: Generated<number>;
  name: string;
  city: string;
  opened_at: string;
}
export interface CategoriesTable {
  id: Generated<number>;
  name: string;
}
export interface ProductsTable {
  id: Generated<number>;
  sku: string;
  name: string;
  category_id: number;
  unit_price: number;
  unit_cost: number;
}
export interface CustomersTable {
  id: Generated<number>;
  first_seen_at: Timestamp;
  loyalty_tier: string;
  home_store_id: number | null;
}
export type OrderStatus = 'COMPLETED' | 'REFUNDED';
export type Channel = 'IN_STORE' | 'ONLINE' | 'DELIVERY';
export interface OrdersTable {
  id: Generated<number>;
  store_id: number;
  customer_id: number | null;
  placed_at: Timestamp;
  status: OrderStatus;
  channel: Channel;
  item_count: number;
  total: number;
  /** The client's idempotency key, unique per store; null when recorded without one (db/migrations/004_order_idempotency.ts). */
  idempotency_key: string | null;
  /** Digest of the request the key was first used with; set exactly when idempotency_key is. */
  idempotency_fingerprint: string | null;
}
export interface OrderItemsTable {
  id: Generated<number>;
  order_id: number;
  product_id: number;
  quantity: number;
  unit_price: number;
  unit_cost: number;
}
export interface InventoryLevelsTable {
  store_id: number;
  product_id: number;
  on_hand: number;
  reorder_point: number;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}
export type EventType = 'VISIT' | 'PAGE_VIEW' | 'ADD_TO_CART' | 'CHECKOUT';
export interface EventsTable {
  id: string;
  store_id: number;
  type: EventType;
  occurred_at: Timestamp;
  session_id: string | null;
  customer_id: number | null;
  properties: unknown;
  received_at: ColumnType<Date, Date | string | undefined, never>;
}
export type Role = 'VIEWER' | 'INGEST' | 'ADMIN';
export interface ApiKeysTable {
  id: Generated<number>;
  name: string;
  key_hash: string;
  role: Role;
  store_ids: number[] | null;
  created_at: ColumnType<Date, Date | string | undefined, never>;
  revoked_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}
export interface ReportsTable {
  id: string;
  kind: string;
  params: unknown;
  row_count: number;
  csv: string;
  created_at: ColumnType<Date, Date | string | undefined, never>;
}
export interface AggregateStateTable {
  id: number;
  covered_until: string;
  version: number;
  refreshed_at: Date | null;
}
export interface DailyRevenueView {
  store_id: number;
  day: string;
  revenue: number;
  orders: number;
  items: number;
}
export interface HourlyTrafficView {
  store_id: number;
  day: string;
  hour: number;
  orders: number;
  revenue: number;
}
export interface ProductPerformanceView {
  store_id: number;
  product_id: number;
  day: string;
  units: number;
  revenue: number;
  cost: number;
}
export interface CustomerBehaviorView {
  store_id: number;
  customer_id: number;
  day: string;
  orders: number;
  revenue: number;
}

export interface Tables {
  stores: StoresTable;
  categories: CategoriesTable;
  products: ProductsTable;
  customers: CustomersTable;
  orders: OrdersTable;
  order_items: OrderItemsTable;
  inventory_levels: InventoryLevelsTable;
  events: EventsTable;
  api_keys: ApiKeysTable;
  reports: ReportsTable;
  aggregate_state: AggregateStateTable;
  mv_daily_revenue: DailyRevenueView;
  mv_hourly_traffic: HourlyTrafficView;
  mv_product_performance: ProductPerformanceView;
  mv_customer_behavior: CustomerBehaviorView;
}
