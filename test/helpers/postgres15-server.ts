import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/**
 * One postmaster of Debian's `postgresql-15` package on a data directory of our own: the
 * piece shared by the fault harness (faults/debian-postgres.ts, one server it stops and
 * starts under the API) and the replica tests (test/helpers/postgres-replica.ts, a primary
 * and a streaming replica). Postgres refuses to run as root: as root every program runs as
 * the package's `postgres` user (runAs).
 */

export const POSTGRES_15_BIN_DIR = '/usr/lib/postgresql/15/bin';
export const POSTGRES_15_HINT = 'install it with: apt-get install -y postgresql-15';
/** How long a start may take before it is an error (a busy 2-core machine replaying WAL is slow). */
const START_TIMEOUT_MS = 60_000;

/** Whether the package's programs are there (postgres and initdb, plus any other named ones). */
export function postgres15Installed(extraPrograms: readonly string[] = []): boolean {
  return ['postgres', 'initdb', ...extraPrograms].every((bin) => existsSync(join(POSTGRES_15_BIN_DIR, bin)));
}

export interface ProcessOwner {
  uid?: number;
  gid?: number;
}

/** uid/gid to run Postgres as: the `postgres` user when we are root, else ourselves. */
export function runAs(): ProcessOwner {
  if (process.getuid?.() !== 0) return {};
  const uid = Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout);
  const gid = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout);
  if (!uid || !gid) throw new Error('running as root and there is no postgres user (the postgresql-15 package creates it)');
  return { uid, gid };
}

export interface PostgresServerProcess {
  readonly url: string;
  readonly port: number;
  readonly running: boolean;
  /** Starts the postmaster; resolves once it accepts connections (read-only ones for a standby). */
  start(): Promise<void>;
  /** Fast shutdown (SIGINT: sessions get 57P01, a checkpoint is written); resolves when the postmaster exited. */
  stop(): Promise<void>;
  /** Immediate shutdown (SIGQUIT); resolves when the postmaster exited. */
  kill(): Promise<void>;
}

/**
 * A postmaster on `dataDir`, listening on 127.0.0.1:`port` and a socket in `socketDir`, with
 * fsync off (throwaway data; neither user crashes the machine under it). Not started yet.
 */
export function postgres15Server(
  dataDir: string,
  socketDir: string,
  port: number,
  owner: ProcessOwner,
  database = 'graphpulse',
): PostgresServerProcess {
  let child: ChildProcess | null = null;
  let exited: Promise<void> = Promise.resolve();
  const start = () =>
    new Promise<void>((resolve, reject) => {
      const args = ['-D', dataDir, '-p', String(port), '-k', socketDir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off'];
      const proc = spawn(join(POSTGRES_15_BIN_DIR, 'postgres'), args, { ...owner, stdio: ['ignore', 'pipe', 'pipe'] });
      child = proc;
      let output = '';
      const timer = setTimeout(
        () => reject(new Error(`postgres on ${port} did not start within ${START_TIMEOUT_MS / 1000} s: ${output.slice(-1500)}`)),
        START_TIMEOUT_MS,
      );
      const onOutput = (chunk: Buffer) => {
        output = (output + chunk.toString()).slice(-20_000);
        // A primary says "ready to accept connections", a hot standby "ready to accept read-only connections".
        if (/ready to accept (read-only )?connections/.test(output)) {
          clearTimeout(timer);
          resolve();
        }
      };
      proc.stdout?.on('data', onOutput);
      proc.stderr?.on('data', onOutput);
      exited = new Promise((done) =>
        proc.once('exit', (code) => {
          if (child === proc) child = null;
          clearTimeout(timer);
          reject(new Error(`postgres on ${port} exited with ${code} while starting: ${output.slice(-1500)}`));
          done();
        }),
      );
    });
  const stopWith = async (signal: NodeJS.Signals) => {
    const proc = child;
    if (!proc) return;
    proc.kill(signal);
    await exited;
  };
  return {
    url: `postgres://postgres@127.0.0.1:${port}/${database}`,
    port,
    get running() {
      return child !== null;
    },
    start,
    stop: () => stopWith('SIGINT'),
    kill: () => stopWith('SIGQUIT'),
  };
}
