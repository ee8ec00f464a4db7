import type { Selectable } from 'kysely';
import type { OrdersTable, ProductsTable, StoresTable } from './tables.js';

/**
 * Rows as db/ hands them out: table columns, snake_case. Turning them into GraphQL
 * objects is the caller's business (loaders/entity-mappers.ts), so db/ never depends on
 * the schema.
 */
export type StoreRow = Selectable<StoresTable>;
export type ProductRow = Selectable<ProductsTable>;
export type OrderRow = Selectable<OrdersTable>;
