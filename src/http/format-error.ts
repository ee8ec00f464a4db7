import type { GraphQLFormattedError } from 'graphql';
import { ErrorCode, isPublicError } from '../errors.js';

/** Codes Apollo and graphql-js assign that are safe to show as they are. */
const PASS_THROUGH = new Set<string>([
  ErrorCode.GRAPHQL_PARSE_FAILED,
  ErrorCode.GRAPHQL_VALIDATION_FAILED,
  ErrorCode.BAD_USER_INPUT,
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
  'BAD_REQUEST',
]);

/** Socket errors of a pg connection whose server went away. */
const CONNECTION_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT']);
/**
 * SQLSTATEs that mean "try again later": 57014 query_canceled (statement_timeout), 53300
 * too_many_connections, 57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now
 * (starting up or shutting down); class 08 is every connection exception.
 */
const UNAVAILABLE_SQLSTATES = new Set(['57014', '53300', '57P01', '57P02', '57P03']);
/** pg and pg-pool say these in words only (no code): a pool that cannot connect, a client whose connection broke mid-use. */
const UNAVAILABLE_MESSAGE = /timeout exceeded when trying to connect|Connection terminated|is not queryable/i;

/** Postgres / pg pool failures that mean "try again later", not "we are broken". */
export function isDatabaseUnavailable(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown } | undefined;
  if (!e || typeof e !== 'object') return false;
  if (typeof e.code === 'string' && (UNAVAILABLE_SQLSTATES.has(e.code) || CONNECTION_ERRNOS.has(e.code) || /^08[0-9A-Z]{3}$/.test(e.code)))
    return true;
  return typeof e.message === 'string' && UNAVAILABLE_MESSAGE.test(e.message);
}

export function originalOf(error: unknown): unknown {
  let current = error as { originalError?: unknown } | undefined;
  while (current && typeof current === 'object' && 'originalError' in current && current.originalError) {
    current = current.originalError as { originalError?: unknown };
  }
  return current;
}

/**
 * The edge of error masking (envelop's use-masked-errors): our PublicErrors and the
 * standard GraphQL request errors go out as they are; database trouble becomes
 * SERVICE_UNAVAILABLE; everything else becomes INTERNAL_SERVER_ERROR with no detail.
 * The whole error is logged by the request plugin with the request id the client gets.
 */
export function formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const original = originalOf(error);
  if (isPublicError(original)) {
    const { http: _status, ...extensions } = original.extensions as Record<string, unknown>;
    return { ...formatted, extensions };
  }
  const code = formatted.extensions?.code;
  if (typeof code === 'string' && PASS_THROUGH.has(code)) {
    return formatted;
  }
  if (isDatabaseUnavailable(original)) {
    return {
      message: 'The database is busy or unavailable; retry shortly',
      locations: formatted.locations,
      path: formatted.path,
      extensions: { code: ErrorCode.SERVICE_UNAVAILABLE },
    };
  }
  return {
    message: 'Internal server error',
    locations: formatted.locations,
    path: formatted.path,
    extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR },
  };
}
