import { sql, type Kysely } from 'kysely';

/**
 * Event rollups: Store.funnel, the visits of Store.trafficPatterns and the active
 * customers of Store.customerInsights read closed days from views instead of scanning
 * every event of the range (about 100 per store and day) three times.
 *
 *  - mv_event_hourly_to_date: per (store, day, hour) the hour's own count of each event
 *    type, and the same counts summed over every day up to this one with the same ISO
 *    day of week (`*_to_date`). Dense over days (from the store's first event day through
 *    the refresh day) and the 24 hours, like mv_hourly_traffic_to_date: a range's
 *    (day of week, hour) grid, and so its totals, is the last 7 view days of the range
 *    minus the 7 days before it, 336 rows per store whatever the range; ranges under two
 *    weeks add up their own days' counts instead.
 *  - mv_event_customer_days: one row per (store, known customer, day with an event) with
 *    the customer's previous event day at the store. Distinct customers do not add up
 *    over days, but a customer's first row in a range is the one whose previous day is
 *    before it: counting those rows counts each customer once, without grouping.
 *
 * The watermark rule is the one of the order views: days from aggregate_state.covered_until
 * on come from the events table. Events, unlike orders, arrive for any day of the
 * retention window, so the write into a closed day that must pull the watermark back is
 * caught where every writer passes (ingestion, the seed, an admin's SQL): a statement
 * trigger on events does what markDayWritten does for orders, for the earliest day before
 * today (UTC) the statement wrote — LEAST on covered_until, version + 1, so a refresh whose
 * snapshot predates the write does not advance past it. Deletes are not caught: the only
 * one is the cleanup job's, of events older than the retention window, and the queries
 * read days that old from the table (src/loaders/store-events.loader.ts).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE MATERIALIZED VIEW mv_event_hourly_to_date AS
      WITH hourly AS (
        SELECT store_id,
               (occurred_at AT TIME ZONE 'UTC')::date AS day,
               date_part('hour', occurred_at AT TIME ZONE 'UTC')::int AS hour,
               count(*) FILTER (WHERE type = 'VISIT')::int AS visits,
               count(*) FILTER (WHERE type = 'PAGE_VIEW')::int AS page_views,
               count(*) FILTER (WHERE type = 'ADD_TO_CART')::int AS add_to_carts,
               count(*) FILTER (WHERE type = 'CHECKOUT')::int AS checkouts
          FROM events
         GROUP BY 1, 2, 3
      ), stores AS (
        SELECT store_id, min(day) AS first_day FROM hourly GROUP BY 1
      ), last_day AS (
        -- Through the refresh day even without events lately: every day before the watermark has a row.
        SELECT GREATEST(max(day), (now() AT TIME ZONE 'UTC')::date) AS day FROM hourly
      )
      SELECT s.store_id, (s.first_day + g.n) AS day, h.hour,
             extract(isodow FROM s.first_day + g.n)::int AS day_of_week,
             coalesce(v.visits, 0) AS visits,
             coalesce(v.page_views, 0) AS page_views,
             coalesce(v.add_to_carts, 0) AS add_to_carts,
             coalesce(v.checkouts, 0) AS checkouts,
             (sum(coalesce(v.visits, 0)) OVER w)::int AS visits_to_date,
             (sum(coalesce(v.page_views, 0)) OVER w)::int AS page_views_to_date,
             (sum(coalesce(v.add_to_carts, 0)) OVER w)::int AS add_to_carts_to_date,
             (sum(coalesce(v.checkouts, 0)) OVER w)::int AS checkouts_to_date
        FROM stores s
       CROSS JOIN last_day l
       CROSS JOIN LATERAL generate_series(0, l.day - s.first_day) AS g(n)
       CROSS JOIN generate_series(0, 23) AS h(hour)
        LEFT JOIN hourly v ON v.store_id = s.store_id AND v.day = s.first_day + g.n AND v.hour = h.hour
      -- Days of one ISO weekday are 7 apart: partitioning on n % 7 keeps them together.
      WINDOW w AS (PARTITION BY s.store_id, h.hour, g.n % 7 ORDER BY g.n);
    CREATE UNIQUE INDEX mv_event_hourly_to_date_key ON mv_event_hourly_to_date (store_id, day, hour)
      INCLUDE (day_of_week, visits, page_views, add_to_carts, checkouts,
               visits_to_date, page_views_to_date, add_to_carts_to_date, checkouts_to_date);

    CREATE MATERIALIZED VIEW mv_event_customer_days AS
      SELECT store_id, customer_id, day, lag(day) OVER w AS previous_day
        FROM (
          SELECT DISTINCT store_id, customer_id, (occurred_at AT TIME ZONE 'UTC')::date AS day
            FROM events
           WHERE customer_id IS NOT NULL
        ) AS daily
      WINDOW w AS (PARTITION BY store_id, customer_id ORDER BY day);
    CREATE UNIQUE INDEX mv_event_customer_days_key ON mv_event_customer_days (store_id, day, customer_id) INCLUDE (previous_day);
    CREATE INDEX mv_event_customer_days_customer ON mv_event_customer_days (store_id, customer_id, day);

    CREATE FUNCTION events_mark_closed_day() RETURNS trigger LANGUAGE plpgsql AS $fn$
    BEGIN
      UPDATE aggregate_state
         SET covered_until = LEAST(covered_until, closed.day), version = version + 1
        FROM (SELECT min((occurred_at AT TIME ZONE 'UTC')::date) AS day FROM written) AS closed
       WHERE aggregate_state.id = 1 AND closed.day < (now() AT TIME ZONE 'UTC')::date;
      RETURN NULL;
    END
    $fn$;
    CREATE TRIGGER events_closed_day_insert AFTER INSERT ON events
      REFERENCING NEW TABLE AS written FOR EACH STATEMENT EXECUTE FUNCTION events_mark_closed_day();
    -- An update moves an event out of one day and into another: both days changed.
    CREATE TRIGGER events_closed_day_update_old AFTER UPDATE ON events
      REFERENCING OLD TABLE AS written FOR EACH STATEMENT EXECUTE FUNCTION events_mark_closed_day();
    CREATE TRIGGER events_closed_day_update_new AFTER UPDATE ON events
      REFERENCING NEW TABLE AS written FOR EACH STATEMENT EXECUTE FUNCTION events_mark_closed_day();
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    DROP TRIGGER events_closed_day_insert ON events;
    DROP TRIGGER events_closed_day_update_old ON events;
    DROP TRIGGER events_closed_day_update_new ON events;
    DROP FUNCTION events_mark_closed_day();
    DROP MATERIALIZED VIEW mv_event_customer_days, mv_event_hourly_to_date;
  `.execute(db);
}
