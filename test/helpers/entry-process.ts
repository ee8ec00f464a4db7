import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { freePort } from '../../src/db/embedded-postgres.js';
import { waitFor } from './wait-for.js';

/**
 * The real process entries (`npm start` → src/main.ts, `npm run worker` → src/worker.ts)
 * as children, with the node flags of package.json's scripts, for tests that signal,
 * kill or freeze them by pid. Each child gets only PATH and HOME from this process plus
 * the env the test gives, so no DATABASE_URL/REDIS_URL of the test run leaks in.
 * stopAllEntries() SIGKILLs whatever a test left running.
 */
export interface EntryProcess {
  readonly pid: number;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (null when killed by a signal) and the signal. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  signal(signal: NodeJS.Signals): void;
  /** Waits until stdout or stderr matches, failing early if the process exits. */
  waitForOutput(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray>;
  /** The exit code, or a failure naming the process when it has not exited within `timeoutMs`. */
  exitWithin(timeoutMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; elapsedMs: number }>;
}

const running = new Set<EntryProcess>();

/** `node <flags> src/main.ts` exactly as the package.json script runs it. */
function scriptArgs(script: 'start' | 'worker'): string[] {
  const scripts = (JSON.parse(readFileSync(resolve('package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
  const words = scripts[script].split(/\s+/);
  if (words[0] !== 'node') throw new Error(`package.json script ${script} does not start with node: ${scripts[script]}`);
  return words.slice(1);
}

export function startEntry(script: 'start' | 'worker', env: Record<string, string>): EntryProcess {
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, scriptArgs(script), {
    cwd: process.cwd(),
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    child.once('exit', (code, signal) => {
      running.delete(entry);
      done({ code, signal });
    }),
  );
  const describe = () => `${script} (pid ${child.pid})\n--- stdout\n${stdout.slice(-3000)}\n--- stderr\n${stderr.slice(-3000)}`;
  const entry: EntryProcess = {
    pid: child.pid!,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    signal: (signal) => void child.kill(signal),
    waitForOutput(pattern, timeoutMs) {
      return waitFor(
        () => {
          const match = stdout.match(pattern) ?? stderr.match(pattern);
          if (match) return match;
          if (child.exitCode !== null || child.signalCode !== null) throw new Error(`exited before printing ${pattern}: ${describe()}`);
          return null;
        },
        { timeoutMs, intervalMs: 50, what: () => `${pattern} in the output of ${describe()}` },
      );
    },
    async exitWithin(timeoutMs) {
      const startedAt = Date.now();
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`did not exit within ${timeoutMs} ms: ${describe()}`)), timeoutMs);
      });
      try {
        const result = await Promise.race([exited, timeout]);
        return { ...result, elapsedMs: Date.now() - startedAt };
      } finally {
        clearTimeout(timer);
      }
    },
  };
  running.add(entry);
  return entry;
}

/** `npm start` on a free port, once it prints its GraphQL URL (start-up includes migrations and any seed). */
export async function startApiEntry(env: Record<string, string>, timeoutMs = 90_000): Promise<{ api: EntryProcess; url: string }> {
  const api = startEntry('start', { ...env, PORT: String(await freePort()) });
  const [, url] = await api.waitForOutput(/GraphQL at (http:\/\/\S+)/, timeoutMs);
  return { api, url };
}

/** SIGKILLs every entry still running (afterAll), and waits for them. */
export async function stopAllEntries(): Promise<void> {
  await Promise.all(
    [...running].map((entry) => {
      entry.signal('SIGCONT');
      entry.signal('SIGKILL');
      return entry.exited;
    }),
  );
}

/** The pid recorded in a Postgres data directory's postmaster.pid, or null. */
export function postmasterPidOf(databaseDir: string): number | null {
  try {
    const pid = Number(readFileSync(resolve(databaseDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null; // no pid file: no server
  }
}
