import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { formatError, isDatabaseUnavailable } from '../src/http/format-error.js';

/** What a client sees of a resolver's error: the fault suite found Postgres outage errors answered as INTERNAL_SERVER_ERROR. */
function codeOf(original: Error): unknown {
  const error = new GraphQLError(original.message, { originalError: original, path: ['recordOrder'] });
  return formatError(error.toJSON(), error).extensions?.code;
}

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

describe('formatError: a database outage is SERVICE_UNAVAILABLE', () => {
  it.each([
    ['57P01 admin shutdown', withCode('terminating connection due to administrator command', '57P01')],
    ['57P03 starting up', withCode('the database system is starting up', '57P03')],
    ['57P03 shutting down', withCode('the database system is shutting down', '57P03')],
    ['08006 connection failure', withCode('connection failure', '08006')],
    ['ECONNRESET', withCode('read ECONNRESET', 'ECONNRESET')],
    ['ECONNREFUSED', withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED')],
    ['a broken client (rollback after the connection died)', new Error('Client has encountered a connection error and is not queryable')],
    ['pool connect timeout', new Error('timeout exceeded when trying to connect')],
    ['connection terminated', new Error('Connection terminated unexpectedly')],
  ])('%s', (_name, error) => {
    expect(isDatabaseUnavailable(error)).toBe(true);
    expect(codeOf(error)).toBe('SERVICE_UNAVAILABLE');
  });

  it.each([
    ['a bug', new TypeError("Cannot read properties of undefined (reading 'id')")],
    ['a constraint violation', withCode('duplicate key value violates unique constraint', '23505')],
    ['a syntax error in our SQL', withCode('syntax error at or near "SELEC"', '42601')],
  ])('%s stays INTERNAL_SERVER_ERROR', (_name, error) => {
    expect(isDatabaseUnavailable(error)).toBe(false);
    expect(codeOf(error)).toBe('INTERNAL_SERVER_ERROR');
  });
});
