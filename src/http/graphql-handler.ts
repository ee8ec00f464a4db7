import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HeaderMap, type ApolloServer } from '@apollo/server';
import type { RequestContext } from '../context.js';
import { createRequestContext } from '../context.js';
import { RateLimitedError, UnauthenticatedError } from '../errors.js';
import type { Services } from '../services.js';
import { BodyTooLargeError, readBody } from './read-body.js';

function bearerKey(header: string | undefined): string | null {
  if (!header) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? match[1] : header.trim() || null;
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

/**
 * POST and GET /graphql through Apollo's executeHTTPGraphQLRequest (the integration
 * API): our own thin node:http glue instead of a framework.
 */
export function graphqlHandler(apollo: ApolloServer<RequestContext>, services: Services) {
  return async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    const requestId = requestIdOf(req);
    let body: unknown;
    try {
      const text = req.method === 'POST' ? await readBody(req) : '';
      const type = req.headers['content-type'] ?? '';
      body = text && type.includes('json') ? JSON.parse(text) : text;
    } catch (error) {
      if (error instanceof BodyTooLargeError) {
        sendJson(res, 413, { errors: [{ message: error.message, extensions: { code: 'BAD_REQUEST', requestId } }] }, { 'x-request-id': requestId });
        return;
      }
      sendJson(res, 400, { errors: [{ message: 'Request body is not valid JSON', extensions: { code: 'BAD_REQUEST', requestId } }] }, { 'x-request-id': requestId });
      return;
    }
    const headers = new HeaderMap();
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
    }
    const response = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: req.method ?? 'GET', headers, search: url.search, body },
      context: async () => {
        const key = bearerKey(req.headers.authorization);
        if (key === null) return createRequestContext(services, null, requestId);
        const principal = await services.principals.resolve(key);
        if (!principal) {
          throw new UnauthenticatedError('The API key is unknown or revoked', 401);
        }
        const decision = await services.rateLimiter.take(principal);
        if (!decision.allowed) throw new RateLimitedError(decision.retryAfterMs, services.config.RATE_LIMITS[principal.role] ?? 0);
        return createRequestContext(services, principal, requestId);
      },
    });
    const outHeaders: Record<string, string> = { 'x-request-id': requestId };
    for (const [name, value] of response.headers) outHeaders[name] = value;
    res.writeHead(response.status ?? 200, outHeaders);
    if (response.body.kind === 'complete') {
      res.end(response.body.string);
      return;
    }
    for await (const chunk of response.body.asyncIterator) res.write(chunk);
    res.end();
  };
}
