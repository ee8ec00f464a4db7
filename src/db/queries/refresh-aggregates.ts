import { sql } from 'kysely';
import type { Db } from '../database.js';
import { utcDayOf } from '../../days.js';

/**
 * Refresh order matters: each running-total view (`*_to_date`) is built from the view
 * before it, so it must be refreshed after that one, in the same run.
 */
export const MATERIALIZED_VIEWS = [
  'mv_daily_revenue',
  'mv_hourly_traffic',
  'mv_hourly_traffic_to_date',
  'mv_product_performance',
  'mv_product_sales_to_date',
  'mv_customer_behavior',
  'mv_event_hourly_to_date',
  'mv_event_customer_days',
] as const;
export type MaterializedView = (typeof MATERIALIZED_VIEWS)[number];

/**
 * Refreshes every view CONCURRENTLY and then trusts them for the days before the
 * refresh's start day — unless a write into a closed day happened meanwhile (the
 * version moved), in which case the old, lower watermark stays and base tables keep
 * answering for those days until the next refresh.
 */
export async function refreshAggregates(
  db: Db,
  onProgress?: (view: MaterializedView, index: number) => void | Promise<void>,
): Promise<{ coveredUntil: string; advanced: boolean }> {
  const { version } = await db.selectFrom('aggregate_state').select('version').where('id', '=', 1).executeTakeFirstOrThrow();
  const startDay = utcDayOf(new Date());
  for (const [index, view] of MATERIALIZED_VIEWS.entries()) {
    // CONCURRENTLY needs a populated view; the first refresh after migration is a plain one.
    const populated = await sql<{ ispopulated: boolean }>`SELECT ispopulated FROM pg_matviews WHERE matviewname = ${view}`.execute(db);
    const concurrently = populated.rows[0]?.ispopulated ? sql`CONCURRENTLY` : sql``;
    await sql`REFRESH MATERIALIZED VIEW ${concurrently} ${sql.table(view)}`.execute(db);
    await onProgress?.(view, index);
  }
  const result = await db
    .updateTable('aggregate_state')
    .set({ covered_until: startDay, refreshed_at: new Date() })
    .where('id', '=', 1)
    .where('version', '=', version)
    .executeTakeFirst();
  const advanced = Number(result.numUpdatedRows) === 1;
  const { covered_until } = await db.selectFrom('aggregate_state').select('covered_until').where('id', '=', 1).executeTakeFirstOrThrow();
  return { coveredUntil: covered_until, advanced };
}

/**
 * Called in the transaction of a write into a closed day (before today, UTC): pull the
 * watermark back to that day so the next reads take it from the base tables, and bump
 * the version so a refresh whose snapshot predates this write does not advance past it.
 */
export async function markDayWritten(db: Db, day: string): Promise<void> {
  await db
    .updateTable('aggregate_state')
    .set((eb) => ({ covered_until: sql<string>`LEAST(covered_until, ${day}::date)`, version: eb('version', '+', 1) }))
    .where('id', '=', 1)
    .execute();
}

export async function readCoveredUntil(db: Db): Promise<string> {
  const row = await db.selectFrom('aggregate_state').select('covered_until').where('id', '=', 1).executeTakeFirstOrThrow();
  return row.covered_until;
}
