/**
 * UTC calendar days and inclusive day ranges, as the API takes them ('YYYY-MM-DD').
 * Every module that counts, shifts or bounds days does it here, so "a day" and "the
 * longest range" mean the same everywhere.
 */

export const DAY_MS = 86_400_000;

/** The longest range an argument may span, and the oldest order a write may backdate to (two years and a day). */
export const MAX_RANGE_DAYS = 731;

/** An inclusive range of UTC days. */
export interface DayRange {
  from: string;
  to: string;
}

const DAY_PATTERN = /^\d{4}-\d{2}-\d{2}$/;

/** Milliseconds since the epoch at the start (00:00 UTC) of `day`. */
export function dayStartMs(day: string): number {
  return Date.parse(`${day}T00:00:00Z`);
}

/** The UTC day of an instant. */
export function utcDayOf(instant: Date | number): string {
  return new Date(instant).toISOString().slice(0, 10);
}

/** The UTC day `days` days before `now` (negative: after). */
export function utcDaysAgo(days: number, now: number = Date.now()): string {
  return utcDayOf(now - days * DAY_MS);
}

/** 'YYYY-MM-DD' plus `days` (may be negative), in UTC. */
export function addDays(day: string, days: number): string {
  if (!DAY_PATTERN.test(day)) throw new RangeError(`Expected a day as YYYY-MM-DD, got ${JSON.stringify(day)}`);
  return utcDayOf(dayStartMs(day) + days * DAY_MS);
}

/** The instant the day after `day` starts: the exclusive upper bound of a range ending on `day`. */
export function endOfDayExclusive(day: string): Date {
  return new Date(dayStartMs(day) + DAY_MS);
}

/** Number of days in an inclusive range (1 for from = to). */
export function rangeDayCount(range: DayRange): number {
  return Math.round((dayStartMs(range.to) - dayStartMs(range.from)) / DAY_MS) + 1;
}

/** Every day of an inclusive range, ascending. */
export function daysOf(range: DayRange): string[] {
  const days: string[] = [];
  for (let t = dayStartMs(range.from), end = dayStartMs(range.to); t <= end; t += DAY_MS) days.push(utcDayOf(t));
  return days;
}
