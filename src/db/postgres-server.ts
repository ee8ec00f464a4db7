import pg from 'pg';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { startEmbeddedPostgres } from './embedded-postgres.js';

export interface PostgresServer {
  connectionString: string;
  /** Stops the embedded server; a no-op for DATABASE_URL. */
  stop(): Promise<void>;
}

export const EMBEDDED_DATABASE = 'graphpulse';

/** Creates `name` on the server of `adminUrl` unless it exists (CREATE DATABASE has no IF NOT EXISTS). */
export async function ensureDatabase(adminUrl: string, name: string, template?: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
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
export async function providePostgres(config: Config, logger: Logger): Promise<PostgresServer> {
  if (config.DATABASE_URL) {
    return { connectionString: config.DATABASE_URL, stop: async () => {} };
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
  return { connectionString: url.toString(), stop: () => server.stop() };
}
