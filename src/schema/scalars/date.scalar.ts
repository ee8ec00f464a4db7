import { GraphQLScalarType, Kind } from 'graphql';
import { BadUserInputError } from '../../errors.js';

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** The number the `count` ASCII digits of `text` from `at` spell, or -1 if one is not a digit. */
function digits(text: string, at: number, count: number): number {
  let value = 0;
  for (let i = at; i < at + count; i += 1) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

/** Whether `value` is 'YYYY-MM-DD' in shape (no calendar check). */
function hasDayShape(value: string): boolean {
  return (
    value.length === 10 &&
    value[4] === '-' &&
    value[7] === '-' &&
    digits(value, 0, 4) >= 0 &&
    digits(value, 5, 2) >= 0 &&
    digits(value, 8, 2) >= 0
  );
}

/**
 * Whether a 'YYYY-MM-DD' string names a real day of the proleptic Gregorian calendar (the
 * one Date uses), by arithmetic: every range argument is checked on every request, and a
 * Date per value showed in profiles.
 */
function isCalendarDay(value: string): boolean {
  if (!hasDayShape(value)) return false;
  const year = digits(value, 0, 4);
  const month = digits(value, 5, 2);
  const day = digits(value, 8, 2);
  if (month < 1 || month > 12 || day < 1) return false;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return day <= (month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]);
}

/** 'YYYY-MM-DD' that names a real calendar day; kept as a string (a day is not an instant). */
export function parseDay(value: unknown): string {
  if (typeof value !== 'string' || !hasDayShape(value)) {
    throw new BadUserInputError(`Date must be a string YYYY-MM-DD, got ${JSON.stringify(value)}`);
  }
  if (!isCalendarDay(value)) throw new BadUserInputError(`Date ${JSON.stringify(value)} is not a calendar day`);
  return value;
}

export const DateScalar = new GraphQLScalarType({
  name: 'Date',
  description: 'A calendar day in UTC, YYYY-MM-DD',
  // Output comes from our own rows (already 'YYYY-MM-DD'): a shape check is enough and cheap,
  // where parseDay's calendar check costs a Date per value on every point of every series.
  serialize: (value) => {
    if (typeof value === 'string' && hasDayShape(value)) return value;
    return value instanceof Date ? value.toISOString().slice(0, 10) : parseDay(value);
  },
  parseValue: parseDay,
  parseLiteral(ast) {
    if (ast.kind !== Kind.STRING) throw new BadUserInputError('Date must be a string YYYY-MM-DD');
    return parseDay(ast.value);
  },
});
