/**
 * `DATA_DIR=<dir> npx tsx bench/refresh-timing.ts` (or DATABASE_URL=…): times one
 * refreshAggregates run — what the refresh-views job does, REFRESH … CONCURRENTLY of every
 * materialized view — on an already seeded database, view by view, and prints the table
 * sizes beside it. The seed's own refresh (plain REFRESH of emptied views) is timed by
 * `npm run seed`'s progress lines. Used for docs/scaling.md.
 */
import { sql } from 'kysely';
import { withMigratedDatabase } from '../db/with-database.js';
import { refreshAggregates } from '../src/db/queries/refresh-aggregates.js';
import { createProgress, formatDuration } from '../src/progress.js';

process.exit(
  await withMigratedDatabase(
    'refresh-timing',
    async (database) => {
      const sizes = await sql<{ name: string; rows: string; size: string }>`
        SELECT c.relname AS name, c.reltuples::bigint::text AS rows, pg_size_pretty(pg_total_relation_size(c.oid)) AS size
          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'public' AND c.relkind IN ('r', 'm') AND c.relname IN
               ('orders', 'order_items', 'events', 'customers', 'mv_daily_revenue', 'mv_hourly_traffic', 'mv_hourly_traffic_to_date',
                'mv_product_performance', 'mv_product_sales_to_date', 'mv_customer_behavior')
         ORDER BY pg_total_relation_size(c.oid) DESC`.execute(database.db);
      for (const r of sizes.rows) console.log(`  ${r.name.padEnd(26)} ${r.rows.padStart(12)} rows  ${r.size}`);
      const dbSize = await sql<{ size: string }>`SELECT pg_size_pretty(pg_database_size(current_database())) AS size`.execute(database.db);
      console.log(`  database size ${dbSize.rows[0].size}`);
      const progress = createProgress({ label: 'refresh', total: 6, unit: 'views' });
      const started = performance.now();
      let last = started;
      const perView: string[] = [];
      await refreshAggregates(database.db, (view) => {
        const now = performance.now();
        perView.push(`${view} ${formatDuration(now - last)}`);
        last = now;
        progress.tick(1, view);
      });
      progress.done(`refreshAggregates (CONCURRENTLY) in ${formatDuration(performance.now() - started)}: ${perView.join(', ')}`);
      return 0;
    },
    { max: 2, statementTimeoutMs: 0 },
  ),
);
