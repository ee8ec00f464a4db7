import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { appendFileSync, chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../src/db/embedded-postgres.js';
import {
  POSTGRES_15_BIN_DIR,
  POSTGRES_15_HINT,
  postgres15Installed as programsInstalled,
  postgres15Server,
  runAs,
  type PostgresServerProcess,
  type ProcessOwner,
} from './postgres15-server.js';

export { POSTGRES_15_HINT, type PostgresServerProcess };

/**
 * A primary and a streaming replica from Debian's postgresql-15 (each one postmaster of
 * ./postgres15-server.ts, as faults/debian-postgres.ts runs one): the primary with wal_level=replica, the replica from
 * `pg_basebackup -R` (standby.signal and primary_conninfo written for us) with
 * `recovery_min_apply_delay`, so a commit becomes visible on it only that long after it
 * committed. Postgres refuses to run as root: as root every command runs as `postgres`.
 */

const execFileAsync = promisify(execFile);

export function postgres15Installed(): boolean {
  return programsInstalled(['pg_basebackup', 'psql']);
}

/** Whether a replica suite must skip: never under CI=true (it fails instead), otherwise with the install line. */
export function skipWithoutPostgres15(suite: string): boolean {
  if (postgres15Installed()) return false;
  if (process.env.CI === 'true')
    throw new Error(`CI=true but Debian's Postgres 15 is missing (${POSTGRES_15_BIN_DIR}): ${suite} cannot run`);
  console.warn(`${suite}: skipped, no Postgres 15 in ${POSTGRES_15_BIN_DIR}; ${POSTGRES_15_HINT}`);
  return true;
}

export interface PrimaryWithReplica {
  primary: PostgresServerProcess;
  replica: PostgresServerProcess;
  /** Stops both (immediate) and removes their directories. */
  destroy(): Promise<void>;
}

/** Runs a Postgres program without blocking (a running server's output pipes must keep draining meanwhile). */
async function run(bin: string, args: string[], owner: ProcessOwner): Promise<void> {
  try {
    await execFileAsync(join(POSTGRES_15_BIN_DIR, bin), args, { ...owner, encoding: 'utf8', timeout: 60_000 });
  } catch (error) {
    const { stderr, code } = error as { stderr?: string; code?: unknown };
    throw new Error(`${bin} ${args.join(' ')} failed (${String(code)}): ${stderr || String(error)}`, { cause: error });
  }
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
    const primary = postgres15Server(primaryDir, dir, await freePort(), owner);
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
    const replica = postgres15Server(replicaDir, dir, await freePort(), owner);
    servers.push(replica);
    await replica.start();
    return { primary, replica, destroy };
  } catch (error) {
    await destroy();
    throw error;
  }
}
