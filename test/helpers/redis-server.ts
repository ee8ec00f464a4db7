import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { freePort } from '../../src/db/embedded-postgres.js';

/**
 * A redis-server child process owned by one test (for tests that kill, freeze or
 * restart Redis: never the shared one of global-setup). Restarts keep the port, so
 * clients configured with its URL reconnect to the new process.
 */
export interface RedisServerProcess {
  readonly port: number;
  readonly url: string;
  /** The running child's pid; undefined while stopped. */
  readonly pid: number | undefined;
  /** Sends a signal and, for terminating ones, waits for the process to exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** SIGSTOP: the socket stays open but nothing answers (a hung Redis). */
  freeze(): void;
  /** SIGCONT after freeze(). */
  thaw(): void;
  /** Starts a fresh (empty) server on the same port; no-op while one runs. */
  restart(): Promise<void>;
  /** Stops the server for good (SIGKILL after 5 s). */
  stop(): Promise<void>;
}

export function redisServerInstalled(): boolean {
  return spawnSync('redis-server', ['--version']).status === 0;
}

/**
 * Whether a Redis suite must skip: never under CI=true (the run fails instead), otherwise
 * with one console line saying how to get Redis.
 */
export function skipWithoutRedis(available: boolean, suite: string): boolean {
  if (available) return false;
  if (process.env.CI === 'true') throw new Error(`CI=true but Redis is not available: ${suite} cannot run`);
  console.warn(`${suite}: skipped, no Redis. Install it (Debian: apt-get install -y redis-server) or set REDIS_URL.`);
  return true;
}

function spawnRedis(port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise<ChildProcess>((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`redis-server on port ${port} did not become ready within 10 s: ${output.slice(-500)}`));
    }, 10_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server on port ${port} exited with code ${code}: ${output.slice(-500)}`));
    });
  });
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
  });
}

export async function startRedisServer(): Promise<RedisServerProcess> {
  const port = await freePort();
  let child: ChildProcess | null = await spawnRedis(port);
  // A crashed test run must not leave the child behind.
  const onExit = () => child?.kill('SIGKILL');
  process.once('exit', onExit);

  const kill = async (signal: NodeJS.Signals = 'SIGKILL') => {
    const current = child;
    if (!current) return;
    if (signal === 'SIGSTOP' || signal === 'SIGCONT') {
      current.kill(signal);
      return;
    }
    child = null;
    current.kill('SIGCONT'); // a frozen process must run to die of SIGTERM
    current.kill(signal);
    const timer = setTimeout(() => current.kill('SIGKILL'), 5_000);
    await exited(current);
    clearTimeout(timer);
  };

  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get pid() {
      return child?.pid;
    },
    kill,
    freeze: () => void child?.kill('SIGSTOP'),
    thaw: () => void child?.kill('SIGCONT'),
    restart: async () => {
      if (child) return;
      child = await spawnRedis(port);
    },
    stop: async () => {
      await kill('SIGTERM');
      process.removeListener('exit', onExit);
    },
  };
}
