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
  if (!DAY_PATTERN.test(range.from) || !DAY_PATTERN.test(range.to)) {
    for (let t = dayStartMs(range.from), end = dayStartMs(range.to); t <= end; t += DAY_MS) days.push(utcDayOf(t));
    return days;
  }
  // Counted on the calendar, not through a Date per day: cache tags list a range's days on
  // every miss. 'YYYY-MM-DD' strings of 4-digit years sort in day order, so `<=` compares days.
  let year = Number(range.from.slice(0, 4));
  let month = Number(range.from.slice(5, 7));
  let day = Number(range.from.slice(8, 10));
  for (let text = range.from; text <= range.to;) {
    days.push(text);
    day += 1;
    if (day > daysInMonth(year, month)) {
      day = 1;
      month += 1;
      if (month > 12) {
        month = 1;
        year += 1;
      }
    }
    text = `${String(year).padStart(4, '0')}-${month < 10 ? '0' : ''}${month}-${day < 10 ? '0' : ''}${day}`;
  }
  return days;
}

/** Days in `month` (1-12) of `year`, proleptic Gregorian (as Date counts). */
export function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}
