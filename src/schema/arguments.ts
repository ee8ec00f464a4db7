import { BadUserInputError } from '../errors.js';
import type { DateRange } from './inputs/date-range.input.js';

/** The public limits: list arguments are capped, ranges are bounded (README, Configuration and Cost). */
export const MAX_PAGE_SIZE = 100;
export const MAX_RANGE_DAYS = 731;

const DAY_MS = 86_400_000;

/** Number of days in an inclusive range. */
export function rangeDays(range: DateRange): number {
  return Math.round((Date.parse(`${range.to}T00:00:00Z`) - Date.parse(`${range.from}T00:00:00Z`)) / DAY_MS) + 1;
}

/** Validates a range and returns it as plain data (loaders and cache keys hash its JSON). */
export function checkRange(range: DateRange, argument = 'range'): { from: string; to: string } {
  if (range.to < range.from) {
    throw new BadUserInputError(`${argument}.to (${range.to}) must not be before ${argument}.from (${range.from})`, { argument });
  }
  const days = rangeDays(range);
  if (days > MAX_RANGE_DAYS) {
    throw new BadUserInputError(`${argument} spans ${days} days; at most ${MAX_RANGE_DAYS} are allowed`, { argument });
  }
  return { from: range.from, to: range.to };
}

/** `first` / `limit`: up to 100 (0 allowed for first, returning only totals); an explicit null means the default. */
export function checkPageSize(given: number | null | undefined, argument: string, fallback: number, min = 0): number {
  const value = given ?? fallback;
  if (!Number.isInteger(value) || value < min || value > MAX_PAGE_SIZE) {
    throw new BadUserInputError(`${argument} must be between ${min} and ${MAX_PAGE_SIZE}, got ${value}`, { argument });
  }
  return value;
}

/** Our ids are positive integers; anything else names nothing. */
export function parseId(value: string | number, argument: string): number {
  const id = typeof value === 'number' ? value : /^\d{1,10}$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(id) || id <= 0 || id > 2_147_483_647) {
    throw new BadUserInputError(`${argument} must be a positive integer id, got ${JSON.stringify(value)}`, { argument });
  }
  return id;
}

export function parseIds(values: readonly (string | number)[], argument: string): number[] {
  return [...new Set(values.map((v) => parseId(v, argument)))];
}
