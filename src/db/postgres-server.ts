import pg from 'pg';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { liveConnection, removeConnectionFile, waitForConnection, writeConnectionFile } from './embedded-connection-file.js';
import { startEmbeddedPostgres } from './embedded-postgres.js';
import { loggedClientClass } from './logged-client.js';

/**
 * Who is asking for Postgres in embedded mode: the API owns the postmaster and publishes
 * how to reach it; a worker only attaches to the API's (waiting for it); a tool (seed,
 * migrate) attaches when an API runs and starts the server itself otherwise.
 */
export type PostgresRole = 'api' | 'worker' | 'tool';

/** No API process is serving the embedded database that a worker must attach to (exit 2). */
export class EmbeddedDatabaseNotRunningError extends Error {
  override name = 'EmbeddedDatabaseNotRunningError';
}

export interface PostgresServer {
  connectionString: string;
  /**
   * Embedded server of an API process: publish how to reach it (the connection file), once
   * the API serves, so workers and tools attach to a database that is migrated and seeded.
   */
  share(): void;
  /** Stops the embedded server; a no-op for DATABASE_URL. */
  stop(): Promise<void>;
}

export const EMBEDDED_DATABASE = 'graphpulse';

/** Creates `name` on the server of `adminUrl` unless it exists (CREATE DATABASE has no IF NOT EXISTS). */
export async function ensureDatabase(adminUrl: string, name: string, template?: string): Promise<void> {
  // A logged client: a server restart while this short session is open must not crash the process.
  const client = new (loggedClientClass())({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) {
      const from = template ? ` TEMPLATE ${pg.escapeIdentifier(template)}` : '';
      await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}${from}`);
    }
  } finally {
    await client.end();
  }
}

/** DATABASE_URL when set, otherwise embedded Postgres under DATA_DIR with a `graphpulse` database. */
export async function providePostgres(config: Config, logger: Logger, role: PostgresRole = 'api'): Promise<PostgresServer> {
  if (config.DATABASE_URL) {
    return { connectionString: config.DATABASE_URL, share: () => {}, stop: async () => {} };
  }
  if (role !== 'api') {
    const attached = await attachToApi(config.DATA_DIR, logger, role, config.WORKER_ATTACH_TIMEOUT_MS);
    if (attached) return attached;
  }
  const server = await startEmbeddedPostgres(config.DATA_DIR, logger, config.EMBEDDED_PG_FAST);
  try {
    await ensureDatabase(server.adminUrl, EMBEDDED_DATABASE);
  } catch (error) {
    await server.stop();
    throw error;
  }
  const url = new URL(server.adminUrl);
  url.pathname = `/${EMBEDDED_DATABASE}`;
  // node-postgres takes `host` from the query as the socket directory; the port names the socket file.
  if (server.socketDir) url.searchParams.set('host', server.socketDir);
  const connectionString = url.toString();
  if (role !== 'api') return { connectionString, share: () => {}, stop: () => server.stop() };
  const removeOnExit = () => removeConnectionFile(config.DATA_DIR);
  return {
    connectionString,
    share: () => {
      writeConnectionFile(config.DATA_DIR, { pid: process.pid, postmasterPid: server.postmasterPid, url: connectionString });
      process.on('exit', removeOnExit);
    },
    stop: async () => {
      process.off('exit', removeOnExit);
      removeConnectionFile(config.DATA_DIR);
      await server.stop();
    },
  };
}

/** The running API's embedded database, or null for a tool when none runs; a worker waits, then gives up. */
async function attachToApi(dataDir: string, logger: Logger, role: 'worker' | 'tool', waitMs: number): Promise<PostgresServer | null> {
  const connection =
    role === 'worker'
      ? await waitForConnection(dataDir, waitMs, () =>
          logger.warn({ dataDir }, `waiting up to ${waitMs / 1000} s for an API process (npm start) to start the embedded database`),
        )
      : liveConnection(dataDir);
  if (!connection) {
    if (role === 'tool') return null;
    throw new EmbeddedDatabaseNotRunningError(
      `No API process is serving the embedded database under ${dataDir} (waited ${waitMs / 1000} s). ` +
        'Start the API first (npm start, same DATA_DIR), or set DATABASE_URL (and REDIS_URL) for both processes.',
    );
  }
  logger.info({ dataDir, apiPid: connection.pid }, 'attached to the embedded database of a running API process');
  return { connectionString: connection.url, share: () => {}, stop: async () => {} };
}
