import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HeaderMap, type ApolloServer } from '@apollo/server';
import { bearerKey } from '../auth/bearer.js';
import type { Principal } from '../auth/principal.js';
import type { RequestContext } from '../context.js';
import { hotPathParams, type HotPath } from '../hot-path/hot-path.js';
import type { DocumentLimits } from '../security/document-limits.js';
import type { TrustedDocuments } from '../security/trusted-documents.js';
import { createRequestContext } from '../context.js';
import { RateLimitedError, UnauthenticatedError } from '../errors.js';
import type { Services } from '../services.js';
import type { PersistedDocumentStore } from './persisted-document-store.js';
import { gatePersistedQuery } from './persisted-query-gate.js';
import { plainQueryOf } from './persisted-query-request.js';
import { BodyTooLargeError, readBody } from './read-body.js';
import { GRAPHQL_VARY } from './response-content-type.js';

/** HTTP also takes a bare key (no "Bearer "): an unknown one is then refused like any other. */
function keyOf(header: string | undefined): string | null {
  return bearerKey(header) ?? (header?.trim() || null);
}

/** The request id: the caller's X-Request-Id when it is sane, else a fresh one. */
export function requestIdOf(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && /^[\w.-]{1,64}$/.test(given) ? given : randomUUID();
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
}

/** Refusals made before execution (auth, CSRF, method) carry the request id too, like every other error. */
function withRequestId(body: string, requestId: string): string {
  try {
    const parsed = JSON.parse(body) as { errors?: Array<{ extensions?: Record<string, unknown> }> };
    if (!Array.isArray(parsed.errors) || parsed.errors.every((e) => e.extensions?.requestId)) return body;
    for (const error of parsed.errors) error.extensions = { ...error.extensions, requestId };
    return JSON.stringify(parsed);
  } catch {
    return body;
  }
}

/**
 * Who calls, decided once per request for both the hot path and Apollo. Every operation
 * needs a key, so a missing one is refused like an unknown one: HTTP 401 UNAUTHENTICATED
 * for the whole request (Apollo's landing page and CSRF check come before this).
 */
async function identify(req: IncomingMessage, services: Services): Promise<{ principal: Principal | null; refusal: Error | null }> {
  const key = keyOf(req.headers.authorization);
  if (key === null) return { principal: null, refusal: new UnauthenticatedError(undefined, 401) };
  const principal = await services.principals.resolve(key);
  if (!principal) return { principal: null, refusal: new UnauthenticatedError('The API key is unknown or revoked', 401) };
  const decision = await services.rateLimiter.take(principal);
  if (!decision.allowed) {
    return { principal, refusal: new RateLimitedError(decision.retryAfterMs, services.config.RATE_LIMITS[principal.role] ?? 0) };
  }
  return { principal, refusal: null };
}

/** Persisted queries: Apollo's APQ store (also read by the hot path) and, when TRUSTED_DOCUMENTS is set, the manifest. */
export interface PersistedQueries {
  documents: PersistedDocumentStore | null;
  trusted: TrustedDocuments | null;
}

/**
 * POST and GET /graphql: who calls (key, rate limit), then what may run (persisted
 * queries and trusted documents, before anything parses it), the limits, the hot path
 * (fully cached operations from stored bytes, hash-only requests included), then Apollo
 * through executeHTTPGraphQLRequest (the integration API) — our own thin node:http glue
 * instead of a framework.
 */
export function graphqlHandler(
  apollo: ApolloServer<RequestContext>,
  services: Services,
  hotPath: HotPath | null,
  documentLimits: DocumentLimits,
  persisted: PersistedQueries = { documents: null, trusted: null },
) {
  return async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    const requestId = requestIdOf(req);
    let body: unknown;
    let bodyBytes: number;
    try {
      const text = req.method === 'POST' ? await readBody(req) : '';
      bodyBytes = text.length;
      const type = req.headers['content-type'] ?? '';
      body = text && type.includes('json') ? JSON.parse(text) : text;
    } catch (error) {
      if (error instanceof BodyTooLargeError) {
        sendJson(
          res,
          413,
          { errors: [{ message: error.message, extensions: { code: 'BAD_REQUEST', requestId } }] },
          { 'x-request-id': requestId },
        );
        return;
      }
      sendJson(
        res,
        400,
        { errors: [{ message: 'Request body is not valid JSON', extensions: { code: 'BAD_REQUEST', requestId } }] },
        { 'x-request-id': requestId },
      );
      return;
    }
    // Before the limits: with TRUSTED_DOCUMENTS a caller's document is refused before anything parses it, ADMIN exempt.
    const { principal, refusal } = await identify(req, services);
    let persistedHash: string | null = null;
    if (!refusal) {
      const gate = gatePersistedQuery(req, url, body, principal, persisted.trusted);
      if (gate.kind === 'refuse') {
        const { status, code, message } = gate.refusal;
        sendJson(res, status, { errors: [{ message, extensions: { code, requestId } }] }, { 'x-request-id': requestId });
        services.logger.info({ requestId, status, code, key: principal?.keyId ?? null }, 'graphql request refused before parsing');
        return;
      }
      ({ url, body, persistedHash } = gate);
    }
    const query = plainQueryOf(req, url, body);
    const limitError = query === null ? null : documentLimits.check(query);
    if (limitError) {
      const error = { message: limitError.message, extensions: { ...limitError.extensions, requestId } };
      sendJson(res, 400, { errors: [error] }, { 'x-request-id': requestId });
      services.logger.info({ requestId, status: 400, limit: limitError.extensions.limit }, 'graphql request refused by a limit');
      return;
    }
    if (hotPath && principal && !refusal) {
      // A hash-only request is served like a full one: its text is in Apollo's APQ store (or it is Apollo's to answer NOT_FOUND).
      const registered = persistedHash && persisted.documents ? await persisted.documents.document(persistedHash) : undefined;
      const params = hotPathParams(req, url, body, bodyBytes, registered);
      if (params && (await hotPath.tryServe(req, res, params, principal, requestId))) return;
    }
    const headers = new HeaderMap();
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
    }
    const response = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: req.method ?? 'GET', headers, search: url.search, body },
      context: async () => {
        if (refusal) throw refusal;
        return createRequestContext(services, principal, requestId);
      },
    });
    // One Vary for every answer of /graphql, the hot path's included: a browser cache keeps them apart alike.
    const outHeaders: Record<string, string> = { 'x-request-id': requestId, vary: GRAPHQL_VARY };
    for (const [name, value] of response.headers) outHeaders[name] = value;
    const status = response.status ?? 200;
    if (response.body.kind === 'complete') {
      const text = status >= 400 ? withRequestId(response.body.string, requestId) : response.body.string;
      if (text !== response.body.string) delete outHeaders['content-length'];
      res.writeHead(status, outHeaders);
      res.end(text);
      return;
    }
    res.writeHead(status, outHeaders);
    for await (const chunk of response.body.asyncIterator) res.write(chunk);
    res.end();
  };
}
