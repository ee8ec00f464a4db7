import { bearerKey } from '../auth/bearer.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import type { Services } from '../services.js';

function refuse(res: ServerResponse, status: 401 | 403, message: string): void {
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' };
  if (status === 401) headers['www-authenticate'] = 'Bearer realm="graphpulse"';
  res.writeHead(status, headers);
  res.end(JSON.stringify({ error: message, code: status === 401 ? 'UNAUTHENTICATED' : 'FORBIDDEN' }));
}

/**
 * GET /metrics: Prometheus text. An ADMIN key (Authorization: Bearer) is required
 * unless METRICS_PUBLIC=true (e.g. a scraper on a private network without a key).
 */
export function metricsRoute(registry: Registry, services: Services) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (!services.config.METRICS_PUBLIC) {
      const key = bearerKey(req.headers.authorization);
      if (!key) return refuse(res, 401, 'An ADMIN API key is required: send "Authorization: Bearer <key>"');
      const principal = await services.principals.resolve(key);
      if (!principal) return refuse(res, 401, 'The API key is unknown or revoked');
      if (principal.role !== 'ADMIN') return refuse(res, 403, `/metrics needs role ADMIN; this key has ${principal.role}`);
    }
    const body = exposition(await registry.metrics());
    res.writeHead(200, { 'content-type': registry.contentType, 'cache-control': 'no-store' });
    res.end(body);
  };
}

/**
 * prom-client prints a NaN sample as `Nan` (its event-loop mean, when no delay was sampled
 * since the last scrape); the text format spells it `NaN`, and strict parsers refuse `Nan`.
 */
function exposition(text: string): string {
  return text.replace(/ Nan$/gm, ' NaN');
}
