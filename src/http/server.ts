import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { CorsPolicy } from './cors.js';

export type RouteHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void> | void;

export type HttpTimeouts = Pick<Config, 'HTTP_HEADERS_TIMEOUT_MS' | 'HTTP_REQUEST_TIMEOUT_MS' | 'HTTP_KEEP_ALIVE_TIMEOUT_MS'>;

/**
 * How often node:http looks for connections past their headers or request timeout. Its
 * default (30 s) would let a connection that never sends headers live up to 30 s past
 * HTTP_HEADERS_TIMEOUT_MS; the check walks only connections with a request in progress.
 */
const CONNECTIONS_CHECKING_INTERVAL_MS = 1_000;

/**
 * The one HTTP server: a fixed route table (no framework). CORS comes first for every
 * path (a preflight is answered there). Unknown paths get 404; a handler that throws
 * gets a logged 500 rather than a hung socket.
 *
 * Connections are bounded in time, not in number: one that has not sent complete headers
 * within HTTP_HEADERS_TIMEOUT_MS, or a whole request within HTTP_REQUEST_TIMEOUT_MS, gets
 * 408 and is closed; an idle keep-alive one is closed after HTTP_KEEP_ALIVE_TIMEOUT_MS. So
 * a flood of idle connections drains by itself while requests are served beside it.
 * `maxConnections` stays unlimited: a cap cannot tell the flood from real clients and would
 * refuse the real ones once the flood fills it (per-client limits belong to the load
 * balancer); `maxRequestsPerSocket` too, since every request is already bounded and
 * closing busy keep-alive connections would only cost handshakes. Upgraded WebSockets leave
 * these timers (node:http hands their socket over) and have their own keepalive.
 */
export function createHttpServer(
  routes: Record<string, RouteHandler>,
  logger: Logger,
  cors: CorsPolicy | null,
  timeouts: HttpTimeouts,
  /** Sent as `X-Instance-Id` on every response: which process answered (behind a load balancer). */
  instanceId?: string,
): Server {
  const server = createServer(
    {
      headersTimeout: timeouts.HTTP_HEADERS_TIMEOUT_MS,
      requestTimeout: timeouts.HTTP_REQUEST_TIMEOUT_MS,
      connectionsCheckingInterval: CONNECTIONS_CHECKING_INTERVAL_MS,
    },
    (req, res) => {
      if (instanceId) res.setHeader('x-instance-id', instanceId);
      if (cors?.apply(req, res)) return;
      const url = new URL(req.url ?? '/', 'http://localhost');
      // A `/<segment>/*` route takes every path under that first segment (e.g. /assets/*).
      const handler = routes[url.pathname] ?? routes[`/${url.pathname.split('/')[1]}/*`];
      if (!handler) {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: `No route ${url.pathname}; the API is at /graphql` }));
        return;
      }
      Promise.resolve(handler(req, res, url)).catch((error: unknown) => {
        logger.error({ err: error, path: url.pathname }, 'HTTP handler failed');
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: 'Internal server error' }));
      });
    },
  );
  server.keepAliveTimeout = timeouts.HTTP_KEEP_ALIVE_TIMEOUT_MS;
  return server;
}
