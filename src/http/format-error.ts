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

/** Postgres / pg pool failures that mean "try again later", not "we are broken". */
function isUnavailable(error: unknown): boolean {
  const e = error as { code?: string; message?: string } | undefined;
  if (!e) return false;
  // 57014 query_canceled (statement_timeout), 53300 too_many_connections, 57P01 admin_shutdown
  if (e.code === '57014' || e.code === '53300' || e.code === '57P01' || e.code === 'ECONNREFUSED') return true;
  return typeof e.message === 'string' && /timeout exceeded when trying to connect|Connection terminated/i.test(e.message);
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
  if (isUnavailable(original)) {
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
