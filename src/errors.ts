import { GraphQLError } from 'graphql';

/** The stable public error codes (docs/api.md, Error codes); clients switch on these, never on messages. */
export const ErrorCode = {
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  NOT_FOUND: 'NOT_FOUND',
  QUERY_TOO_COMPLEX: 'QUERY_TOO_COMPLEX',
  RATE_LIMITED: 'RATE_LIMITED',
  GRAPHQL_VALIDATION_FAILED: 'GRAPHQL_VALIDATION_FAILED',
  GRAPHQL_PARSE_FAILED: 'GRAPHQL_PARSE_FAILED',
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
  /** A malformed HTTP request: bad JSON, a body too large, a persisted-query hash that does not match its query. */
  BAD_REQUEST: 'BAD_REQUEST',
  /**
   * A persisted-query hash this server does not know (Apollo's APQ: send the query with it to
   * register it), or, with TRUSTED_DOCUMENTS, an operation that is not in the manifest.
   */
  PERSISTED_QUERY_NOT_FOUND: 'PERSISTED_QUERY_NOT_FOUND',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Base of every error a client may see in full; anything else is masked at the edge. */
export class PublicError extends GraphQLError {
  constructor(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}) {
    super(message, { extensions: { code, ...extensions } });
  }
}

/** RFC 9110: a 401 names the scheme the client should use. */
const BEARER_CHALLENGE = 'Bearer realm="graphpulse"';

export class UnauthenticatedError extends PublicError {
  /** `httpStatus` is set where the whole request is refused (a missing or unknown key), not one field. */
  constructor(message = 'A valid API key is required: send "Authorization: Bearer <key>"', httpStatus?: number) {
    const challenge = httpStatus === 401 ? { headers: new Map([['www-authenticate', BEARER_CHALLENGE]]) } : {};
    super(ErrorCode.UNAUTHENTICATED, message, httpStatus ? { http: { status: httpStatus, ...challenge } } : {});
  }
}

export class ForbiddenError extends PublicError {
  constructor(message: string) {
    super(ErrorCode.FORBIDDEN, message);
  }
}

export class BadUserInputError extends PublicError {
  constructor(message: string, extensions: Record<string, unknown> = {}) {
    super(ErrorCode.BAD_USER_INPUT, message, extensions);
  }
}

export class NotFoundError extends PublicError {
  constructor(what: string, id: string) {
    super(ErrorCode.NOT_FOUND, `${what} ${JSON.stringify(id)} does not exist`);
  }
}

export class ServiceUnavailableError extends PublicError {
  constructor(message: string) {
    super(ErrorCode.SERVICE_UNAVAILABLE, message);
  }
}

export class RateLimitedError extends PublicError {
  /** `retryAfterMs` is also the hint in extensions.retryAfterMs and (rounded up) the Retry-After header. */
  constructor(retryAfterMs: number, limitPerSecond: number) {
    const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
    super(ErrorCode.RATE_LIMITED, `Rate limit of ${limitPerSecond} requests/s for this key exceeded; retry after ${retryAfterMs} ms`, {
      retryAfterMs,
      http: { status: 429, headers: new Map([['retry-after', String(seconds)]]) },
    });
  }
}

export class QueryTooComplexError extends PublicError {
  constructor(message: string, extensions: Record<string, unknown> = {}) {
    super(ErrorCode.QUERY_TOO_COMPLEX, message, extensions);
  }
}

export function isPublicError(error: unknown): error is PublicError {
  return error instanceof PublicError;
}
