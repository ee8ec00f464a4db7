import { existsSync, rmSync } from 'node:fs';
import { isAlive, processesMentioning } from './procfs.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Gone meanwhile.
  }
}

/**
 * Makes sure no Postgres still serves `dataDir` (SIGINT, the fast shutdown, then
 * SIGKILL) and throws when one survived. Only processes whose command line names the
 * directory are touched: a stale pid file's pid may be reused.
 */
export async function stopPostgresOf(dataDir: string): Promise<void> {
  const postmasters = processesMentioning(dataDir);
  if (postmasters.length) {
    console.error(`bench: Postgres of ${dataDir} outlived graphpulse (pids ${postmasters.map((p) => p.pid).join(', ')}); stopping it`);
    for (const { pid } of postmasters) signal(pid, 'SIGINT');
    for (let i = 0; i < 100 && postmasters.some((p) => isAlive(p.pid)); i += 1) await sleep(100);
    for (const { pid } of postmasters) if (isAlive(pid)) signal(pid, 'SIGKILL');
    for (let i = 0; i < 20 && postmasters.some((p) => isAlive(p.pid)); i += 1) await sleep(100);
  }
  const still = processesMentioning(dataDir);
  if (still.length) throw new Error(`processes of ${dataDir} are still running: ${still.map((p) => `${p.pid} ${p.cmdline}`).join('; ')}`);
}

/** stopPostgresOf, then deletes the directory; throws when either failed. */
export async function removeDataDir(dataDir: string): Promise<void> {
  await stopPostgresOf(dataDir).catch(() => undefined);
  rmSync(dataDir, { recursive: true, force: true });
  const still = processesMentioning(dataDir);
  if (still.length) throw new Error(`processes of ${dataDir} are still running: ${still.map((p) => `${p.pid} ${p.cmdline}`).join('; ')}`);
  if (existsSync(dataDir)) throw new Error(`could not remove ${dataDir}`);
}
