import { createParameterDecorator, Int } from 'type-graphql';
import { BadUserInputError } from '../errors.js';
import type { DateRange } from './inputs/date-range.input.js';
import { MAX_RANGE_DAYS, rangeDayCount } from '../days.js';

/** The public limits: list arguments are capped, ranges are bounded (docs/api.md, Limits). */
export const MAX_PAGE_SIZE = 100;
export { MAX_RANGE_DAYS };

/** Validates a range and returns it as plain data (loaders and cache keys hash its JSON). */
export function checkRange(range: DateRange, argument = 'range'): { from: string; to: string } {
  if (range.to < range.from) {
    throw new BadUserInputError(`${argument}.to (${range.to}) must not be before ${argument}.from (${range.from})`, { argument });
  }
  const days = rangeDayCount(range);
  if (days > MAX_RANGE_DAYS) {
    throw new BadUserInputError(`${argument} spans ${days} days; at most ${MAX_RANGE_DAYS} are allowed`, { argument });
  }
  return { from: range.from, to: range.to };
}

/**
 * A page-size argument (`first`, `limit`, `top`): a nullable Int whose default is written
 * only here, in the field's declaration. It is the schema's default value (what clients
 * and cost analysis see) and also what an explicit null means. The resolver receives the
 * checked number: `min` (0 lets `first: 0` return only totals) to MAX_PAGE_SIZE, else
 * BAD_USER_INPUT naming the argument.
 */
export function PageSizeArg(name: string, defaultValue: number, { min = 0 }: { min?: number } = {}) {
  return createParameterDecorator(({ args }) => checkPageSize(args[name] as number | null | undefined, name, defaultValue, min), {
    arg: { name, typeFunc: () => Int, options: { nullable: true, defaultValue } },
  });
}

function checkPageSize(given: number | null | undefined, argument: string, fallback: number, min: number): number {
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
