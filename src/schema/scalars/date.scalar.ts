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
  serialize: (value) => (value instanceof Date ? value.toISOString().slice(0, 10) : parseDay(value)),
  parseValue: parseDay,
  parseLiteral(ast) {
    if (ast.kind !== Kind.STRING) throw new BadUserInputError('Date must be a string YYYY-MM-DD');
    return parseDay(ast.value);
  },
});
