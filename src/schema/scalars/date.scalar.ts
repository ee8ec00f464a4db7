import { GraphQLScalarType, Kind } from 'graphql';
import { BadUserInputError } from '../../errors.js';

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** 'YYYY-MM-DD' that names a real calendar day; kept as a string (a day is not an instant). */
export function parseDay(value: unknown): string {
  if (typeof value !== 'string' || !DAY.test(value)) {
    throw new BadUserInputError(`Date must be a string YYYY-MM-DD, got ${JSON.stringify(value)}`);
  }
  const parsed = new Date(`${value}T00:00:00Z`);
  if (Number.isNaN(parsed.getTime()) || parsed.toISOString().slice(0, 10) !== value) {
    throw new BadUserInputError(`Date ${JSON.stringify(value)} is not a calendar day`);
  }
  return value;
}

export const DateScalar = new GraphQLScalarType({
  name: 'Date',
  description: 'A calendar day in UTC, YYYY-MM-DD',
  // Output comes from our own rows (already 'YYYY-MM-DD'): a shape check is enough and cheap,
  // where parseDay's calendar check costs a Date per value on every point of every series.
  serialize: (value) => {
    if (typeof value === 'string' && value.length === 10 && DAY.test(value)) return value;
    return value instanceof Date ? value.toISOString().slice(0, 10) : parseDay(value);
  },
  parseValue: parseDay,
  parseLiteral(ast) {
    if (ast.kind !== Kind.STRING) throw new BadUserInputError('Date must be a string YYYY-MM-DD');
    return parseDay(ast.value);
  },
});
