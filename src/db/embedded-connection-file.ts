import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * How other processes on this machine (`npm run worker`, `npm run seed`, `npm run
 * migrate`) reach the embedded Postgres that an API process started: a small JSON file
 * under DATA_DIR, readable by its owner only (it holds the password), written once the
 * server accepts connections and removed when the API stops. A file whose owner pid is
 * dead (left by a SIGKILL) counts as absent.
 */
export interface EmbeddedConnection {
  /** The API process that owns the postmaster. */
  pid: number;
  postmasterPid: number;
  /** Connection string of the application database. */
  url: string;
}

const FILE_NAME = 'postgres-connection.json';

export function connectionFilePath(dataDir: string): string {
  return resolve(dataDir, FILE_NAME);
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function writeConnectionFile(dataDir: string, connection: EmbeddedConnection): void {
  writeFileSync(connectionFilePath(dataDir), JSON.stringify(connection), { mode: 0o600 });
}

/** The file's content whatever its owner's state, or null when absent or unreadable JSON. */
export function readConnectionFile(dataDir: string): EmbeddedConnection | null {
  const path = connectionFilePath(dataDir);
  if (!existsSync(path)) return null;
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<EmbeddedConnection>;
    if (typeof parsed.pid !== 'number' || typeof parsed.postmasterPid !== 'number' || typeof parsed.url !== 'string') return null;
    return parsed as EmbeddedConnection;
  } catch {
    // A half-written or foreign file: treated as absent, and overwritten by the next API start.
    return null;
  }
}

/** The connection of a running API, or null when there is none (no file, or its owner is dead). */
export function liveConnection(dataDir: string): EmbeddedConnection | null {
  const connection = readConnectionFile(dataDir);
  return connection && isProcessAlive(connection.pid) && isProcessAlive(connection.postmasterPid) ? connection : null;
}

/** Removes the file if it is this process's (never another live API's). */
export function removeConnectionFile(dataDir: string): void {
  const connection = readConnectionFile(dataDir);
  if (connection && connection.pid !== process.pid) return;
  rmSync(connectionFilePath(dataDir), { force: true });
}

/** Polls for a running API's connection until `timeoutMs`; null when none appeared. */
export async function waitForConnection(dataDir: string, timeoutMs: number, onWaiting?: () => void): Promise<EmbeddedConnection | null> {
  const deadline = Date.now() + timeoutMs;
  let told = false;
  for (;;) {
    const connection = liveConnection(dataDir);
    if (connection) return connection;
    if (Date.now() >= deadline) return null;
    if (!told) {
      onWaiting?.();
      told = true;
    }
    await new Promise((done) => setTimeout(done, 250));
  }
}
