import { sql } from 'kysely';
import type { ProductsTable } from '../db/tables.js';
import type { Selectable } from 'kysely';
import { toProduct } from './entity-mappers.js';
import { childPageLoader } from './child-page.loader.js';

export const loadCategoryProducts = childPageLoader(
  'categoryProducts',
  (categoryIds) => sql`SELECT p.*, p.category_id AS parent_id FROM products p WHERE p.category_id = ANY(${categoryIds})`,
  'asc',
  (row: Selectable<ProductsTable>) => toProduct(row),
);
