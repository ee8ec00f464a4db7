import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { TEST_ADMIN_KEY } from './helpers/constants.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface WorkerProcess {
  child: ChildProcess;
  /** Resolves with the exit code (or the signal's name). */
  exited: Promise<number | string>;
  /** Resolves once the worker logged that it runs. */
  ready: Promise<void>;
  output(): string;
}

/** `node --import tsx src/worker.ts` (what `npm run worker` runs) against the test's database and queues. */
export function spawnWorker(databaseUrl: string, env: Record<string, string>): WorkerProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/worker.ts'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      ...env,
      DATABASE_URL: databaseUrl,
      ADMIN_API_KEY: TEST_ADMIN_KEY,
      SEED: 'none',
      NODE_ENV: 'test',
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let onReady!: () => void;
  const ready = new Promise<void>((resolve) => (onReady = resolve));
  const listen = (chunk: Buffer) => {
    output += chunk.toString();
    if (output.includes('graphpulse worker is running')) onReady();
  };
  child.stdout?.on('data', listen);
  child.stderr?.on('data', listen);
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  const readyOrDead = Promise.race([
    ready,
    exited.then((code) => {
      throw new Error(`worker exited (${code}) before it was ready:\n${output.slice(-3000)}`);
    }),
  ]);
  return { child, exited, ready: readyOrDead, output: () => output };
}

/** Kills a worker still running (test cleanup) and waits for it to be gone. */
export async function killWorker(worker: WorkerProcess | undefined): Promise<void> {
  if (!worker || worker.child.exitCode !== null || worker.child.signalCode !== null) return;
  worker.child.kill('SIGKILL');
  await worker.exited;
}
