import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DatabaseProbe } from '../db/database-probe.js';

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

/** Liveness: the process answers. */
export function healthz(_req: IncomingMessage, res: ServerResponse): void {
  send(res, 200, { status: 'ok' });
}

/**
 * Readiness for load balancers: 503 from the moment a shutdown begins (so traffic moves
 * away before the listener closes) and while Postgres does not answer within 1 s;
 * degraded parts (Redis) are reported with 200.
 */
export function readyz(probe: DatabaseProbe, lifecycle: { shuttingDown: boolean }, details: () => Record<string, unknown> = () => ({})) {
  return async (_req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (lifecycle.shuttingDown) {
      send(res, 503, { status: 'shutting-down', ...details() });
      return;
    }
    const databaseUp = await probe.check();
    if (lifecycle.shuttingDown) {
      send(res, 503, { status: 'shutting-down', ...details() });
      return;
    }
    send(res, databaseUp ? 200 : 503, {
      status: databaseUp ? 'ready' : 'unavailable',
      database: databaseUp ? 'ok' : 'unreachable',
      ...details(),
    });
  };
}
