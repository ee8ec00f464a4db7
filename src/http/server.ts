import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from '../logger.js';
import type { CorsPolicy } from './cors.js';

export type RouteHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void> | void;

/**
 * The one HTTP server: a fixed route table (no framework). CORS comes first for every
 * path (a preflight is answered there). Unknown paths get 404; a handler that throws
 * gets a logged 500 rather than a hung socket.
 */
export function createHttpServer(routes: Record<string, RouteHandler>, logger: Logger, cors: CorsPolicy | null = null): Server {
  return createServer((req, res) => {
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
  });
}
