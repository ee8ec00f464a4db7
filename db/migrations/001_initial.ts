import { sql, type Kysely } from 'kysely';

/**
 * Base tables. Money is numeric(12,2) (exact cents); times are timestamptz and every
 * day bucket is the UTC date. Orders are immutable once written, so their item count
 * and total are stored on the row: analytics never join order_items just to count.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE stores (
      id         serial PRIMARY KEY,
      name       text NOT NULL,
      city       text NOT NULL,
      opened_at  date NOT NULL
    );

    CREATE TABLE categories (
      id    serial PRIMARY KEY,
      name  text NOT NULL UNIQUE
    );

    CREATE TABLE products (
      id           serial PRIMARY KEY,
      sku          text NOT NULL UNIQUE,
      name         text NOT NULL,
      category_id  int NOT NULL REFERENCES categories(id),
      unit_price   numeric(12,2) NOT NULL CHECK (unit_price >= 0),
      unit_cost    numeric(12,2) NOT NULL CHECK (unit_cost >= 0)
    );
    CREATE INDEX products_category_idx ON products (category_id, id);

    CREATE TABLE customers (
      id             serial PRIMARY KEY,
      first_seen_at  timestamptz NOT NULL,
      loyalty_tier   text NOT NULL,
      home_store_id  int REFERENCES stores(id)
    );

    CREATE TABLE orders (
      id           bigserial PRIMARY KEY,
      store_id     int NOT NULL REFERENCES stores(id),
      customer_id  int REFERENCES customers(id),
      placed_at    timestamptz NOT NULL,
      status       text NOT NULL CHECK (status IN ('COMPLETED', 'REFUNDED')),
      channel      text NOT NULL CHECK (channel IN ('IN_STORE', 'ONLINE', 'DELIVERY')),
      item_count   int NOT NULL CHECK (item_count > 0),
      total        numeric(12,2) NOT NULL CHECK (total >= 0)
    );
    CREATE INDEX orders_store_placed_idx ON orders (store_id, placed_at);
    CREATE INDEX orders_placed_idx ON orders (placed_at);
    CREATE INDEX orders_customer_idx ON orders (customer_id, placed_at) WHERE customer_id IS NOT NULL;

    CREATE TABLE order_items (
      id          bigserial PRIMARY KEY,
      order_id    bigint NOT NULL REFERENCES orders(id),
      product_id  int NOT NULL REFERENCES products(id),
      quantity    int NOT NULL CHECK (quantity > 0),
      unit_price  numeric(12,2) NOT NULL,
      unit_cost   numeric(12,2) NOT NULL
    );
    CREATE INDEX order_items_order_idx ON order_items (order_id);
    CREATE INDEX order_items_product_idx ON order_items (product_id);

    CREATE TABLE inventory_levels (
      store_id       int NOT NULL REFERENCES stores(id),
      product_id     int NOT NULL REFERENCES products(id),
      on_hand        int NOT NULL CHECK (on_hand >= 0),
      reorder_point  int NOT NULL CHECK (reorder_point >= 0),
      updated_at     timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (store_id, product_id)
    );

    CREATE TABLE events (
      id           text PRIMARY KEY,
      store_id     int NOT NULL REFERENCES stores(id),
      type         text NOT NULL CHECK (type IN ('VISIT', 'PAGE_VIEW', 'ADD_TO_CART', 'CHECKOUT')),
      occurred_at  timestamptz NOT NULL,
      session_id   text,
      customer_id  int,
      properties   jsonb,
      received_at  timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX events_store_time_idx ON events (store_id, occurred_at);
    CREATE INDEX events_occurred_idx ON events (occurred_at);

    CREATE TABLE api_keys (
      id          serial PRIMARY KEY,
      name        text NOT NULL,
      key_hash    text NOT NULL UNIQUE,
      role        text NOT NULL CHECK (role IN ('VIEWER', 'INGEST', 'ADMIN')),
      store_ids   int[],
      created_at  timestamptz NOT NULL DEFAULT now(),
      revoked_at  timestamptz
    );

    CREATE TABLE reports (
      id          text PRIMARY KEY,
      kind        text NOT NULL,
      params      jsonb NOT NULL,
      row_count   int NOT NULL,
      csv         text NOT NULL,
      created_at  timestamptz NOT NULL DEFAULT now()
    );
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    DROP TABLE reports, api_keys, events, inventory_levels, order_items, orders,
      customers, products, categories, stores;
  `.execute(db);
}
