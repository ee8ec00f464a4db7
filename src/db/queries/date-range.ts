import { sql, type RawBuilder } from 'kysely';
import type { DayRange, Granularity } from './analytics-types.js';

/**
 * Shared SQL fragments for the analytics queries: day bounds, period bucketing and the
 * zero-filled period series. Every value goes in as a bind parameter; only the fixed
 * period unit words are inlined (Postgres must see the same bucketing expression in
 * SELECT and GROUP BY, which a `$n` parameter would not be).
 */

/**
 * The aggregate watermark (aggregate_state.covered_until): a 'YYYY-MM-DD' day read by
 * the caller, or an SQL expression that reads it inside the same statement.
 */
export type CoveredUntil = string | RawBuilder<string>;

/** Inclusive UTC day bounds; an absent side is open (e.g. "every day up to `to`"). */
export interface DayBounds {
  from?: string;
  to?: string;
}

/** Fails fast on a limit Postgres would reject (negative) or silently truncate (fractional). */
export function assertCount(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 0) throw new RangeError(`${name} must be a non-negative integer, got ${value}`);
  return value;
}

/** Removes duplicate ids so unnest() yields each parent once. */
export function uniqueIds(ids: readonly number[]): number[] {
  return [...new Set(ids)];
}

/** The in-statement watermark, for callers that are not handed one (inventory). */
export const coveredUntilNow: RawBuilder<string> = sql<string>`(SELECT covered_until FROM aggregate_state WHERE id = 1)`;

/** `AND <column> = ANY($ids)`, or nothing when ids is null (every row). */
export function idFilter(column: string, ids: readonly number[] | null | undefined): RawBuilder<unknown> {
  return ids ? sql`AND ${sql.ref(column)} = ANY(${[...ids]}::int[])` : sql``;
}

/** `<dayColumn>` within bounds and before the watermark: the days a view may answer. */
export function viewDays(dayColumn: string, bounds: DayBounds, coveredUntil: CoveredUntil): RawBuilder<unknown> {
  const day = sql.ref(dayColumn);
  const from = bounds.from === undefined ? sql`` : sql`AND ${day} >= ${bounds.from}::date`;
  const to = bounds.to === undefined ? sql`` : sql`AND ${day} <= ${bounds.to}::date`;
  return sql`${day} < ${coveredUntil}::date ${from} ${to}`;
}

/**
 * The last day of `to`'s range a view may answer: the day before the watermark, or `to`
 * itself if earlier. A view answers the days from the range's first to this one (none
 * when it is before the first).
 */
export function lastViewDay(to: string, coveredUntil: CoveredUntil): RawBuilder<string> {
  return sql<string>`LEAST(${to}::date, ${coveredUntil}::date - 1)`;
}

/**
 * `<timestampColumn>` on a day from the watermark (or bounds.from, if later) to bounds.to:
 * the rows the base tables must answer. Written as instant bounds, not as a cast of the
 * column, so the (store_id, placed_at) and (placed_at) indexes apply.
 */
export function baseTimes(timeColumn: string, bounds: DayBounds, coveredUntil: CoveredUntil): RawBuilder<unknown> {
  const time = sql.ref(timeColumn);
  const start = bounds.from === undefined ? sql`${coveredUntil}::date` : sql`GREATEST(${bounds.from}::date, ${coveredUntil}::date)`;
  const end = bounds.to === undefined ? sql`` : sql`AND ${time} < ((${bounds.to}::date + 1)::timestamp AT TIME ZONE 'UTC')`;
  return sql`${time} >= (${start}::timestamp AT TIME ZONE 'UTC') ${end}`;
}

/** The UTC calendar day of a timestamptz column, as the views compute it. */
export function utcDate(timeColumn: string): RawBuilder<string> {
  return sql<string>`(${sql.ref(timeColumn)} AT TIME ZONE 'UTC')::date`;
}

const UNIT: Record<Granularity, string> = { DAY: 'day', WEEK: 'week', MONTH: 'month' };

function unitOf(granularity: Granularity): string {
  const unit = UNIT[granularity];
  if (!unit) throw new RangeError(`Unknown granularity ${JSON.stringify(granularity)}; expected DAY, WEEK or MONTH`);
  return unit;
}

/**
 * First day of the period holding `dayExpression` (a date). Postgres weeks are ISO
 * weeks, so WEEK buckets start on Monday. The cast to timestamp (not timestamptz)
 * keeps the session time zone out of it.
 */
export function periodStart(dayExpression: RawBuilder<unknown>, granularity: Granularity): RawBuilder<string> {
  const unit = unitOf(granularity);
  if (unit === 'day') return sql<string>`${dayExpression}`;
  return sql<string>`date_trunc(${sql.lit(unit)}, (${dayExpression})::timestamp)::date`;
}

/** Every period overlapping the range, ascending, as rows `(period date)`. Empty when from > to. */
export function periodSeries(range: DayRange, granularity: Granularity): RawBuilder<{ period: string }> {
  const unit = unitOf(granularity);
  const first = periodStart(sql`${range.from}::date`, granularity);
  return sql<{ period: string }>`
    SELECT generate_series((${first})::timestamp, ${range.to}::date::timestamp, ${sql.lit(`1 ${unit}`)}::interval)::date AS period`;
}
