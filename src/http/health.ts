import type { IncomingMessage, ServerResponse } from 'node:http';
import { sql } from 'kysely';
import type { Services } from '../services.js';

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

/** Liveness: the process answers. */
export function healthz(_req: IncomingMessage, res: ServerResponse): void {
  send(res, 200, { status: 'ok' });
}

/** Readiness: the database answers; degraded parts (e.g. Redis) are reported without failing. */
export function readyz(services: Services, extraChecks: () => Record<string, unknown> = () => ({})) {
  return async (_req: IncomingMessage, res: ServerResponse): Promise<void> => {
    try {
      await sql`SELECT 1`.execute(services.database.db);
      send(res, 200, { status: 'ready', database: 'ok', ...extraChecks() });
    } catch (error) {
      services.logger.warn({ err: error }, 'readiness check failed: database');
      send(res, 503, { status: 'unavailable', database: 'unreachable', ...extraChecks() });
    }
  };
}
