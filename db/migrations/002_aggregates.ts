import { sql, type Kysely } from 'kysely';

/**
 * Materialized views for the heavy aggregates, one row per (store, day, …) so any
 * date range can be summed from them. Each has a unique index so it can be refreshed
 * CONCURRENTLY (readers never block).
 *
 * `aggregate_state.covered_until` is the first day the views must NOT be trusted for:
 * analytics read days before it from the views and everything from it on from the
 * base tables. A refresh moves it to the refresh's start day; a write into a closed
 * day (an order recorded with a past placedAt) moves it back to that day in the same
 * transaction, so an answer never misses a committed order. `version` lets a refresh
 * detect that such a write happened while it ran.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE MATERIALIZED VIEW mv_daily_revenue AS
      SELECT store_id,
             (placed_at AT TIME ZONE 'UTC')::date AS day,
             sum(total)::numeric(14,2) AS revenue,
             count(*)::int AS orders,
             sum(item_count)::int AS items
        FROM orders
       WHERE status = 'COMPLETED'
       GROUP BY 1, 2;
    CREATE UNIQUE INDEX mv_daily_revenue_key ON mv_daily_revenue (store_id, day);

    CREATE MATERIALIZED VIEW mv_hourly_traffic AS
      SELECT store_id,
             (placed_at AT TIME ZONE 'UTC')::date AS day,
             extract(hour FROM placed_at AT TIME ZONE 'UTC')::int AS hour,
             count(*)::int AS orders,
             sum(total)::numeric(14,2) AS revenue
        FROM orders
       WHERE status = 'COMPLETED'
       GROUP BY 1, 2, 3;
    CREATE UNIQUE INDEX mv_hourly_traffic_key ON mv_hourly_traffic (store_id, day, hour);

    CREATE MATERIALIZED VIEW mv_product_performance AS
      SELECT o.store_id,
             oi.product_id,
             (o.placed_at AT TIME ZONE 'UTC')::date AS day,
             sum(oi.quantity)::int AS units,
             sum(oi.quantity * oi.unit_price)::numeric(14,2) AS revenue,
             sum(oi.quantity * oi.unit_cost)::numeric(14,2) AS cost
        FROM order_items oi
        JOIN orders o ON o.id = oi.order_id
       WHERE o.status = 'COMPLETED'
       GROUP BY 1, 2, 3;
    CREATE UNIQUE INDEX mv_product_performance_key ON mv_product_performance (store_id, day, product_id);
    CREATE INDEX mv_product_performance_product ON mv_product_performance (product_id, day);

    CREATE MATERIALIZED VIEW mv_customer_behavior AS
      SELECT store_id,
             customer_id,
             (placed_at AT TIME ZONE 'UTC')::date AS day,
             count(*)::int AS orders,
             sum(total)::numeric(14,2) AS revenue
        FROM orders
       WHERE status = 'COMPLETED' AND customer_id IS NOT NULL
       GROUP BY 1, 2, 3;
    CREATE UNIQUE INDEX mv_customer_behavior_key ON mv_customer_behavior (store_id, day, customer_id);
    CREATE INDEX mv_customer_behavior_customer ON mv_customer_behavior (store_id, customer_id, day);

    CREATE TABLE aggregate_state (
      id              int PRIMARY KEY CHECK (id = 1),
      covered_until   date NOT NULL,
      version         bigint NOT NULL DEFAULT 0,
      refreshed_at    timestamptz
    );
    -- Nothing is covered until the first refresh.
    INSERT INTO aggregate_state (id, covered_until) VALUES (1, DATE '1970-01-01');
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    DROP TABLE aggregate_state;
    DROP MATERIALIZED VIEW mv_customer_behavior, mv_product_performance, mv_hourly_traffic, mv_daily_revenue;
  `.execute(db);
}
