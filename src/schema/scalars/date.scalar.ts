import { GraphQLScalarType, Kind } from 'graphql';
import { asciiDigits } from '../../ascii-digits.js';
import { daysInMonth } from '../../days.js';
import { BadUserInputError } from '../../errors.js';

/** Whether `value` is 'YYYY-MM-DD' in shape (no calendar check). */
function hasDayShape(value: string): boolean {
  return (
    value.length === 10 &&
    value[4] === '-' &&
    value[7] === '-' &&
    asciiDigits(value, 0, 4) >= 0 &&
    asciiDigits(value, 5, 2) >= 0 &&
    asciiDigits(value, 8, 2) >= 0
  );
}

/**
 * Whether a 'YYYY-MM-DD' string names a real day of the proleptic Gregorian calendar (the
 * one Date uses), by arithmetic: every range argument is checked on every request, and a
 * Date per value showed in profiles.
 */
function isCalendarDay(value: string): boolean {
  if (!hasDayShape(value)) return false;
  const year = asciiDigits(value, 0, 4);
  const month = asciiDigits(value, 5, 2);
  const day = asciiDigits(value, 8, 2);
  if (month < 1 || month > 12 || day < 1) return false;
  return day <= daysInMonth(year, month);
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
