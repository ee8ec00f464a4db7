import { spawnSync } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../src/db/embedded-postgres.js';
import { POSTGRES_15_BIN_DIR, POSTGRES_15_HINT, postgres15Installed, postgres15Server, runAs } from '../test/helpers/postgres15-server.js';

/**
 * A throwaway Postgres cluster from Debian's `postgresql-15` package, owned by the fault
 * harness so it can stop and start it under the API (the API reaches it through
 * DATABASE_URL, as in production). The cluster lives in a temp directory; `fastShutdown`
 * is `pg_ctl stop -m fast` (SIGINT to the postmaster: sessions get 57P01, a checkpoint is
 * written), `start` brings it back on the same port. The postmaster itself is
 * test/helpers/postgres15-server.ts (as root it runs as the `postgres` user).
 */

export const DEBIAN_POSTGRES_HINT = POSTGRES_15_HINT;

export function debianPostgresInstalled(): boolean {
  return postgres15Installed();
}

export interface DebianPostgres {
  readonly url: string;
  readonly port: number;
  readonly running: boolean;
  /** Fast shutdown; resolves when the postmaster has exited. */
  fastShutdown(): Promise<void>;
  start(): Promise<void>;
  /** Stops the server (immediate) and removes its directory. */
  destroy(): Promise<void>;
}

export async function startDebianPostgres(database = 'graphpulse'): Promise<DebianPostgres> {
  if (!debianPostgresInstalled()) throw new Error(`Debian's Postgres 15 is not installed: ${DEBIAN_POSTGRES_HINT}`);
  const owner = runAs();
  const dir = mkdtempSync(join(tmpdir(), 'graphpulse-faults-pg-'));
  if (owner.uid !== undefined) chownSync(dir, owner.uid, owner.gid!);
  const dataDir = join(dir, 'data');
  const init = spawnSync(
    join(POSTGRES_15_BIN_DIR, 'initdb'),
    ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync'],
    { ...owner, encoding: 'utf8' },
  );
  if (init.status !== 0) throw new Error(`initdb failed (${init.status}): ${init.stderr}`);

  const server = postgres15Server(dataDir, dir, await freePort(), owner, database);
  await server.start();
  const create = spawnSync(
    join(POSTGRES_15_BIN_DIR, 'psql'),
    ['-h', dir, '-p', String(server.port), '-U', 'postgres', '-c', `CREATE DATABASE ${database}`],
    { ...owner, encoding: 'utf8' },
  );
  if (create.status !== 0) {
    await server.kill();
    throw new Error(`CREATE DATABASE failed: ${create.stderr}`);
  }
  // A harness that dies must not leave the cluster running.
  const onExit = () => void server.kill();
  process.once('exit', onExit);

  return {
    url: server.url,
    port: server.port,
    get running() {
      return server.running;
    },
    fastShutdown: () => server.stop(),
    start: () => server.start(),
    async destroy() {
      await server.kill(); // immediate shutdown: nothing to keep
      process.removeListener('exit', onExit);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
