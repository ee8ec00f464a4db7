import { spawn, type ChildProcess } from 'node:child_process';
import { groupMembers, isAlive } from './procfs.js';
import { reaper } from './reaper-client.js';

export interface ServerProcess {
  name: string;
  pid: number;
  /** http://host:port/graphql */
  url: string;
  /** The last lines the child wrote (stdout and stderr), for error messages. */
  output(): string;
  /** SIGTERM, wait for an orderly exit, then SIGKILL whatever is left of its process group. */
  stop(): Promise<void>;
}

export interface StartOptions {
  name: string;
  /** Arguments of `node` (the child is node itself, so its pid is the server's pid for RSS). */
  nodeArgs: string[];
  env: Record<string, string>;
  /** Matches the line announcing the URL; group 1 is the GraphQL URL. */
  urlPattern: RegExp;
  startTimeoutMs: number;
  /** How long stop() waits for an orderly exit before SIGKILL (default 20 s). */
  stopTimeoutMs?: number;
}

/** Every child group started and not yet reaped: the synchronous last resort on process exit. */
const live = new Set<number>();
/** stop() of every child spawned and not yet stopped, including those still starting. */
const running = new Map<number, () => Promise<void>>();

/** Stops every child spawned here, started or still starting (SIGINT during start-up). */
export async function stopAllServerProcesses(): Promise<void> {
  await Promise.allSettled([...running.values()].map((stop) => stop()));
}

/** SIGKILLs every process group still alive (for process 'exit', where nothing can be awaited). */
export function killAllSync(): void {
  for (const pgid of live) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  live.clear();
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return true;
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

interface Spawned {
  child: ChildProcess;
  pid: number;
  output(): string;
  stop(): Promise<void>;
}

/**
 * Spawns `node …` in its own process group (so a terminal Ctrl-C reaches only the bench,
 * which then stops children in order), remembering its last lines; `onLine` sees every
 * line it writes. stop() is registered until it ran (stopAllServerProcesses, killAllSync).
 */
function spawnTracked(options: {
  name: string;
  nodeArgs: string[];
  env: Record<string, string>;
  stopTimeoutMs?: number;
  onLine?: (line: string) => void;
}): Spawned {
  const child = spawn(process.execPath, options.nodeArgs, {
    cwd: process.cwd(),
    env: options.env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error(`${options.name}: could not spawn node ${options.nodeArgs.join(' ')}`);
  const pid = child.pid;
  live.add(pid);
  reaper.watch('group', pid);
  const lines: string[] = [];
  const remember = (chunk: Buffer) => {
    const fresh = chunk.toString('utf8').split('\n').filter(Boolean);
    lines.push(...fresh);
    if (lines.length > 40) lines.splice(0, lines.length - 40);
    if (options.onLine) for (const line of fresh) options.onLine(line);
  };
  child.stdout?.on('data', remember);
  child.stderr?.on('data', remember);
  const output = () => lines.join('\n');

  let stopped: Promise<void> | null = null;
  const stop = () =>
    (stopped ??= (async () => {
      if (isAlive(pid) && child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timeout = options.stopTimeoutMs ?? 20_000;
      if (!(await waitForExit(child, timeout))) {
        console.error(`bench: ${options.name} (pid ${pid}) did not exit ${timeout / 1000} s after SIGTERM; killing it`);
      }
      // Grandchildren (embedded Postgres, esbuild) share the group: give them a moment, then kill.
      for (let i = 0; i < 50 && groupMembers(pid).length; i += 1) await sleep(100);
      const left = groupMembers(pid);
      if (left.length) {
        console.error(`bench: ${options.name}: killing leftover processes ${left.join(', ')}`);
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {
          // Gone meanwhile.
        }
      }
      live.delete(pid);
      running.delete(pid);
      reaper.forget('group', pid);
    })());
  running.set(pid, stop);
  return { child, pid, output, stop };
}

/**
 * Runs `node …` to its end (a tool such as the seed), in its own process group and
 * stoppable like a server (SIGINT of the bench); `onLine` sees each line of its output.
 * Resolves with its exit code and last lines.
 */
export async function runToExit(options: {
  name: string;
  nodeArgs: string[];
  env: Record<string, string>;
  onLine?: (line: string) => void;
}): Promise<{ code: number | null; signal: string | null; output: string }> {
  const spawned = spawnTracked({ ...options, stopTimeoutMs: 30_000 });
  const { child } = spawned;
  const [code, signal] = await new Promise<[number | null, string | null]>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve([child.exitCode, child.signalCode]);
    else child.once('exit', (c, s) => resolve([c, s]));
  });
  // Its Postgres (same group) is normally stopped by the tool itself; stop() reaps whatever is left.
  await spawned.stop();
  return { code, signal, output: spawned.output() };
}

/** Spawns a server (spawnTracked), waits for its URL and a 200 from /readyz. */
export async function startServerProcess(options: StartOptions): Promise<ServerProcess> {
  const { child, pid, output, stop } = spawnTracked(options);

  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${options.name} did not announce its URL within ${options.startTimeoutMs / 1000} s`)),
        options.startTimeoutMs,
      );
      const onData = (chunk: Buffer) => {
        const match = options.urlPattern.exec(chunk.toString('utf8'));
        if (match) {
          clearTimeout(timer);
          child.stdout?.off('data', onData);
          resolve(match[1]);
        }
      };
      child.stdout?.on('data', onData);
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`${options.name} exited during start-up (code ${code}, signal ${signal})`));
      });
    });
    await waitReady(url.replace(/\/graphql$/, '/readyz'), options.startTimeoutMs, child);
    return { name: options.name, pid, url, output, stop };
  } catch (error) {
    await stop();
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`${message}\n--- last output of ${options.name} ---\n${output()}`, { cause: error });
  }
}

async function waitReady(readyUrl: string, timeoutMs: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`exited before ${readyUrl} answered`);
    try {
      const response = await fetch(readyUrl, { signal: AbortSignal.timeout(2_000) });
      if (response.ok) return;
      last = `${response.status} ${await response.text()}`;
    } catch (error) {
      last = String(error);
    }
    await sleep(100);
  }
  throw new Error(`${readyUrl} not ready within ${timeoutMs / 1000} s (last: ${last})`);
}
