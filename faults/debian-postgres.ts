import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../src/db/embedded-postgres.js';

/**
 * A throwaway Postgres cluster from Debian's `postgresql-15` package, owned by the fault
 * harness so it can stop and start it under the API (the API reaches it through
 * DATABASE_URL, as in production). The cluster lives in a temp directory; `fastShutdown`
 * is `pg_ctl stop -m fast` (SIGINT to the postmaster: sessions get 57P01, a checkpoint is
 * written), `start` brings it back on the same port. Postgres refuses to run as root, so
 * as root every command runs as the package's `postgres` user.
 */

const BIN_DIR = '/usr/lib/postgresql/15/bin';
export const DEBIAN_POSTGRES_HINT = 'install it with: apt-get install -y postgresql-15';

export function debianPostgresInstalled(): boolean {
  return existsSync(join(BIN_DIR, 'postgres')) && existsSync(join(BIN_DIR, 'initdb'));
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

/** uid/gid to run Postgres as: the `postgres` user when we are root, else ourselves. */
function runAs(): { uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return {};
  const uid = Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout);
  const gid = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout);
  if (!uid || !gid) throw new Error('running as root and there is no postgres user (the postgresql-15 package creates it)');
  return { uid, gid };
}

export async function startDebianPostgres(database = 'graphpulse'): Promise<DebianPostgres> {
  if (!debianPostgresInstalled()) throw new Error(`Debian's Postgres 15 is not installed: ${DEBIAN_POSTGRES_HINT}`);
  const owner = runAs();
  const dir = mkdtempSync(join(tmpdir(), 'graphpulse-faults-pg-'));
  if (owner.uid !== undefined) chownSync(dir, owner.uid, owner.gid!);
  const dataDir = join(dir, 'data');
  const init = spawnSync(join(BIN_DIR, 'initdb'), ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync'], {
    ...owner,
    encoding: 'utf8',
  });
  if (init.status !== 0) throw new Error(`initdb failed (${init.status}): ${init.stderr}`);

  const port = await freePort();
  let child: ChildProcess | null = null;
  let exitedOnce: Promise<void> = Promise.resolve();

  const start = () =>
    new Promise<void>((resolve, reject) => {
      // fsync off: the harness never crashes Postgres itself (a fast shutdown writes a checkpoint).
      const args = ['-D', dataDir, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off'];
      const server = spawn(join(BIN_DIR, 'postgres'), args, { ...owner, stdio: ['ignore', 'pipe', 'pipe'] });
      child = server;
      let output = '';
      const timer = setTimeout(() => reject(new Error(`postgres did not start within 20 s: ${output.slice(-1000)}`)), 20_000);
      const onOutput = (chunk: Buffer) => {
        output = (output + chunk.toString()).slice(-20_000);
        if (output.includes('database system is ready to accept connections')) {
          clearTimeout(timer);
          resolve();
        }
      };
      server.stdout?.on('data', onOutput);
      server.stderr?.on('data', onOutput);
      exitedOnce = new Promise((done) =>
        server.once('exit', (code) => {
          if (child === server) child = null;
          clearTimeout(timer);
          reject(new Error(`postgres exited with ${code} while starting: ${output.slice(-1000)}`));
          done();
        }),
      );
    });

  const stop = async (signal: NodeJS.Signals) => {
    const server = child;
    if (!server) return;
    server.kill(signal);
    await exitedOnce;
  };

  await start();
  const create = spawnSync(join(BIN_DIR, 'psql'), ['-h', dir, '-p', String(port), '-U', 'postgres', '-c', `CREATE DATABASE ${database}`], {
    ...owner,
    encoding: 'utf8',
  });
  if (create.status !== 0) {
    await stop('SIGQUIT');
    throw new Error(`CREATE DATABASE failed: ${create.stderr}`);
  }
  // A harness that dies must not leave the cluster running.
  const onExit = () => (child as ChildProcess | null)?.kill('SIGQUIT');
  process.once('exit', onExit);

  return {
    url: `postgres://postgres@127.0.0.1:${port}/${database}`,
    port,
    get running() {
      return child !== null;
    },
    fastShutdown: () => stop('SIGINT'),
    start,
    async destroy() {
      await stop('SIGQUIT'); // immediate shutdown: nothing to keep
      process.removeListener('exit', onExit);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
