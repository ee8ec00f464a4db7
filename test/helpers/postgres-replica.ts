import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { appendFileSync, chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../src/db/embedded-postgres.js';

/**
 * A primary and a streaming replica from Debian's postgresql-15 (as faults/debian-postgres.ts
 * runs one server): the primary with wal_level=replica, the replica from
 * `pg_basebackup -R` (standby.signal and primary_conninfo written for us) with
 * `recovery_min_apply_delay`, so a commit becomes visible on it only that long after it
 * committed. Postgres refuses to run as root: as root every command runs as `postgres`.
 */

const BIN_DIR = '/usr/lib/postgresql/15/bin';
const execFileAsync = promisify(execFile);
export const POSTGRES_15_HINT = 'install it with: apt-get install -y postgresql-15';

export function postgres15Installed(): boolean {
  return ['postgres', 'initdb', 'pg_basebackup', 'psql'].every((bin) => existsSync(join(BIN_DIR, bin)));
}

/** Whether a replica suite must skip: never under CI=true (it fails instead), otherwise with the install line. */
export function skipWithoutPostgres15(suite: string): boolean {
  if (postgres15Installed()) return false;
  if (process.env.CI === 'true') throw new Error(`CI=true but Debian's Postgres 15 is missing (${BIN_DIR}): ${suite} cannot run`);
  console.warn(`${suite}: skipped, no Postgres 15 in ${BIN_DIR}; ${POSTGRES_15_HINT}`);
  return true;
}

export interface PostgresServerProcess {
  readonly url: string;
  readonly port: number;
  readonly running: boolean;
  /** Fast shutdown (SIGINT); resolves when the postmaster exited. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Immediate shutdown (SIGQUIT). */
  kill(): Promise<void>;
}

export interface PrimaryWithReplica {
  primary: PostgresServerProcess;
  replica: PostgresServerProcess;
  /** Stops both (immediate) and removes their directories. */
  destroy(): Promise<void>;
}

function runAs(): { uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return {};
  const uid = Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout);
  const gid = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout);
  if (!uid || !gid) throw new Error('running as root and there is no postgres user (the postgresql-15 package creates it)');
  return { uid, gid };
}

/** Runs a Postgres program without blocking (a running server's output pipes must keep draining meanwhile). */
async function run(bin: string, args: string[], owner: { uid?: number; gid?: number }): Promise<void> {
  try {
    await execFileAsync(join(BIN_DIR, bin), args, { ...owner, encoding: 'utf8', timeout: 60_000 });
  } catch (error) {
    const { stderr, code } = error as { stderr?: string; code?: unknown };
    throw new Error(`${bin} ${args.join(' ')} failed (${String(code)}): ${stderr || String(error)}`, { cause: error });
  }
}

function server(dataDir: string, socketDir: string, port: number, owner: { uid?: number; gid?: number }): PostgresServerProcess {
  let child: ChildProcess | null = null;
  let exited: Promise<void> = Promise.resolve();
  const start = () =>
    new Promise<void>((resolve, reject) => {
      const args = ['-D', dataDir, '-p', String(port), '-k', socketDir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off'];
      const proc = spawn(join(BIN_DIR, 'postgres'), args, { ...owner, stdio: ['ignore', 'pipe', 'pipe'] });
      child = proc;
      let output = '';
      const timer = setTimeout(() => reject(new Error(`postgres on ${port} did not start within 60 s: ${output.slice(-1500)}`)), 60_000);
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
    url: `postgres://postgres@127.0.0.1:${port}/graphpulse`,
    port,
    get running() {
      return child !== null;
    },
    stop: () => stopWith('SIGINT'),
    start,
    kill: () => stopWith('SIGQUIT'),
  };
}

/** Starts the primary (database `graphpulse` created), then the replica streaming from it. */
export async function startPrimaryWithReplica(options: { applyDelay?: string } = {}): Promise<PrimaryWithReplica> {
  const owner = runAs();
  const dir = mkdtempSync(join(tmpdir(), 'graphpulse-replica-'));
  if (owner.uid !== undefined) chownSync(dir, owner.uid, owner.gid!);
  const primaryDir = join(dir, 'primary');
  const replicaDir = join(dir, 'replica');
  const servers: PostgresServerProcess[] = [];
  const destroy = async () => {
    await Promise.all(servers.map((s) => s.kill()));
    process.removeListener('exit', onExit);
    rmSync(dir, { recursive: true, force: true });
  };
  // A test process that dies must not leave the servers running.
  const onExit = () => {
    for (const s of servers) void s.kill();
  };
  process.once('exit', onExit);
  try {
    await run('initdb', ['-D', primaryDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync'], owner);
    // initdb's pg_hba.conf already trusts replication connections from 127.0.0.1; wal_level=replica is 15's default, said anyway.
    appendFileSync(primaryDir + '/postgresql.conf', '\nwal_level = replica\nmax_wal_senders = 5\nwal_keep_size = 256MB\n');
    const primary = server(primaryDir, dir, await freePort(), owner);
    servers.push(primary);
    await primary.start();
    await run('psql', ['-h', dir, '-p', String(primary.port), '-U', 'postgres', '-c', 'CREATE DATABASE graphpulse'], owner);
    // -c fast: checkpoint now (the default spreads it over minutes).
    await run(
      'pg_basebackup',
      ['-h', '127.0.0.1', '-p', String(primary.port), '-U', 'postgres', '-D', replicaDir, '-R', '-X', 'stream', '-c', 'fast', '--no-sync'],
      owner,
    );
    appendFileSync(
      join(replicaDir, 'postgresql.auto.conf'),
      `\nrecovery_min_apply_delay = '${options.applyDelay ?? '2s'}'\nhot_standby = on\n`,
    );
    const replica = server(replicaDir, dir, await freePort(), owner);
    servers.push(replica);
    await replica.start();
    return { primary, replica, destroy };
  } catch (error) {
    await destroy();
    throw error;
  }
}
