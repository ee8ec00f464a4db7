import { sql, type Kysely } from 'kysely';

/**
 * Views and indexes shaped after the questions the API asks (docs/query-plans.md has the
 * plans and timings behind each choice).
 *
 * Running totals ("to date" columns): a sum over any day range is the running total at
 * the range's last day minus the one at the day before it, so a range of 180 days costs
 * two rows per (store, product) instead of 180. The watermark rule still holds: a running
 * total at day d counts only days <= d, so it is exact whenever d is before
 * aggregate_state.covered_until; days from the watermark on still come from base tables.
 *
 *  - mv_product_sales_to_date: per (store, product, day) the units, revenue and cost sold
 *    up to and including that day. Dense (a row for every day from the pair's first sale
 *    through the refresh day, sales or not), so the running total at a day is one
 *    equality lookup. Built from mv_product_performance: refreshAggregates refreshes it
 *    right after that view, in the same run.
 *  - mv_hourly_traffic_to_date: per (store, day, hour) the orders and revenue of that
 *    hour summed over every day up to this one with the same ISO day of week. A range's
 *    (day of week, hour) grid is then read from the last 7 days of the range and the 7
 *    days before it. Dense over days and the 24 hours; built from mv_hourly_traffic.
 *  - mv_customer_behavior gains, per (store, customer, day), the customer's previous and
 *    next order day at the store and their completed spend there up to that day: customer
 *    insights read the range's rows once, without grouping them by customer and without
 *    each customer's history before the range.
 *
 * Indexes carry the columns the queries read (INCLUDE) so they are answered by
 * index-only scans; the base-table parts (today, days after the watermark) get a partial
 * index on completed orders and an order_items index that carries the sold line.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE MATERIALIZED VIEW mv_product_sales_to_date AS
      WITH pairs AS (
        SELECT store_id, product_id, min(day) AS first_day FROM mv_product_performance GROUP BY 1, 2
      ), last_day AS (
        -- Through the refresh day even when nothing sold lately: every day before the watermark has a row.
        SELECT GREATEST(max(day), (now() AT TIME ZONE 'UTC')::date) AS day FROM mv_product_performance
      )
      SELECT p.store_id, p.product_id, (p.first_day + g.n) AS day,
             (sum(coalesce(v.units, 0)) OVER w)::bigint AS units,
             (sum(coalesce(v.revenue, 0)) OVER w)::numeric(16,2) AS revenue,
             (sum(coalesce(v.cost, 0)) OVER w)::numeric(16,2) AS cost
        FROM pairs p
       CROSS JOIN last_day l
       CROSS JOIN LATERAL generate_series(0, l.day - p.first_day) AS g(n)
        LEFT JOIN mv_product_performance v ON v.store_id = p.store_id AND v.product_id = p.product_id AND v.day = p.first_day + g.n
      WINDOW w AS (PARTITION BY p.store_id, p.product_id ORDER BY g.n);
    CREATE UNIQUE INDEX mv_product_sales_to_date_key ON mv_product_sales_to_date (day, store_id, product_id) INCLUDE (units, revenue, cost);

    CREATE MATERIALIZED VIEW mv_hourly_traffic_to_date AS
      WITH stores AS (
        SELECT store_id, min(day) AS first_day FROM mv_hourly_traffic GROUP BY 1
      ), last_day AS (
        SELECT GREATEST(max(day), (now() AT TIME ZONE 'UTC')::date) AS day FROM mv_hourly_traffic
      )
      SELECT s.store_id, (s.first_day + g.n) AS day, h.hour,
             extract(isodow FROM s.first_day + g.n)::int AS day_of_week,
             (sum(coalesce(v.orders, 0)) OVER w)::int AS orders,
             (sum(coalesce(v.revenue, 0)) OVER w)::numeric(16,2) AS revenue
        FROM stores s
       CROSS JOIN last_day l
       CROSS JOIN LATERAL generate_series(0, l.day - s.first_day) AS g(n)
       CROSS JOIN generate_series(0, 23) AS h(hour)
        LEFT JOIN mv_hourly_traffic v ON v.store_id = s.store_id AND v.day = s.first_day + g.n AND v.hour = h.hour
      -- Days of one ISO weekday are 7 apart: partitioning on n % 7 keeps them together.
      WINDOW w AS (PARTITION BY s.store_id, h.hour, g.n % 7 ORDER BY g.n);
    CREATE UNIQUE INDEX mv_hourly_traffic_to_date_key ON mv_hourly_traffic_to_date (store_id, day, hour) INCLUDE (day_of_week, orders, revenue);

    DROP MATERIALIZED VIEW mv_customer_behavior;
    CREATE MATERIALIZED VIEW mv_customer_behavior AS
      SELECT store_id, customer_id, day, orders, revenue,
             lag(day) OVER w AS previous_day,
             lead(day) OVER w AS next_day,
             (sum(revenue) OVER w)::numeric(14,2) AS spend_to_date
        FROM (
          SELECT store_id,
                 customer_id,
                 (placed_at AT TIME ZONE 'UTC')::date AS day,
                 count(*)::int AS orders,
                 sum(total)::numeric(14,2) AS revenue
            FROM orders
           WHERE status = 'COMPLETED' AND customer_id IS NOT NULL
           GROUP BY 1, 2, 3
        ) AS daily
      WINDOW w AS (PARTITION BY store_id, customer_id ORDER BY day);
    CREATE UNIQUE INDEX mv_customer_behavior_key ON mv_customer_behavior (store_id, day, customer_id)
      INCLUDE (orders, previous_day, next_day, spend_to_date);
    CREATE INDEX mv_customer_behavior_customer ON mv_customer_behavior (store_id, customer_id, day)
      INCLUDE (orders, previous_day, next_day, spend_to_date);

    CREATE INDEX orders_completed_store_placed_idx ON orders (store_id, placed_at)
      INCLUDE (customer_id, total, item_count) WHERE status = 'COMPLETED';
    DROP INDEX order_items_order_idx;
    CREATE INDEX order_items_order_idx ON order_items (order_id) INCLUDE (product_id, quantity, unit_price, unit_cost);

    DROP INDEX events_store_time_idx;
    CREATE INDEX events_store_time_idx ON events (store_id, occurred_at) INCLUDE (type, customer_id);

    ANALYZE mv_product_sales_to_date, mv_hourly_traffic_to_date, mv_customer_behavior;
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    DROP INDEX events_store_time_idx;
    CREATE INDEX events_store_time_idx ON events (store_id, occurred_at);
    DROP INDEX order_items_order_idx;
    CREATE INDEX order_items_order_idx ON order_items (order_id);
    DROP INDEX orders_completed_store_placed_idx;

    DROP MATERIALIZED VIEW mv_customer_behavior;
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

    DROP MATERIALIZED VIEW mv_hourly_traffic_to_date, mv_product_sales_to_date;
  `.execute(db);
}
