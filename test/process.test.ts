import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The real entry point (`src/main.ts`) as a child process against its own embedded
 * Postgres under a temp DATA_DIR: start-up output, serving, graceful SIGTERM with a
 * request in flight, and a restart that reuses the data.
 */

interface Running {
  child: ChildProcessWithoutNullStreams;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

let dataDir: string;
const children: Running[] = [];

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Env for the child: the parent's PATH and HOME only, so no DATABASE_URL/REDIS_URL/ADMIN_API_KEY leaks in. */
function childEnv(port: number): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    DATA_DIR: dataDir,
    PORT: String(port),
    HOST: '127.0.0.1',
    DEMO_SCALE: '0.01',
    LOG_LEVEL: 'warn',
    EMBEDDED_PG_FAST: 'true',
  };
}

function startMain(port: number): Running {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: process.cwd(), env: childEnv(port) });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const running = { child, stdout: () => stdout, stderr: () => stderr, exited };
  children.push(running);
  return running;
}

async function waitForOutput(running: Running, pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const match = running.stdout().match(pattern);
    if (match) return match;
    if (running.child.exitCode !== null) {
      throw new Error(`main.ts exited with ${running.child.exitCode} before printing ${pattern}\nstdout: ${running.stdout()}\nstderr: ${running.stderr()}`);
    }
    if (Date.now() > deadline) throw new Error(`no ${pattern} within ${timeoutMs} ms\nstdout: ${running.stdout()}\nstderr: ${running.stderr()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function exitCodeWithin(running: Running, timeoutMs: number): Promise<number | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`main.ts did not exit within ${timeoutMs} ms\nstderr: ${running.stderr()}`)), timeoutMs);
  });
  try {
    return await Promise.race([running.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function storesTotal(url: string, key: string): Promise<{ status: number; totalCount?: number; body: unknown }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, connection: 'close' },
    body: JSON.stringify({ query: '{ stores { totalCount } }' }),
  });
  const body = (await response.json()) as { data?: { stores: { totalCount: number } } };
  return { status: response.status, totalCount: body.data?.stores.totalCount, body };
}

/** Postgres processes whose command line names our data dir. */
function postgresFor(dir: string): string[] {
  try {
    return execFileSync('pgrep', ['-af', dir], { encoding: 'utf8' })
      .split('\n')
      .filter((line) => line.trim() && !line.includes('pgrep'));
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

/**
 * A POST whose body arrives in two parts: the request is in flight (headers read,
 * body pending) until `finish()` sends the rest.
 */
function slowRequest(url: string, key: string) {
  const body = Buffer.from(JSON.stringify({ query: '{ stores(first: 5) { totalCount edges { node { id name } } } }' }));
  const target = new URL(url);
  let finish!: () => void;
  const response = new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': body.length, authorization: `Bearer ${key}` },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.write(body.subarray(0, 10));
    finish = () => req.end(body.subarray(10));
  });
  return { response, finish: () => finish() };
}

beforeAll(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'graphpulse-process-'));
});

afterAll(async () => {
  for (const running of children) {
    if (running.child.exitCode === null && running.child.signalCode === null) {
      running.child.kill('SIGKILL');
      await running.exited;
    }
  }
  // A killed main.ts would leave its postmaster behind: stop it by the pid it recorded.
  const pidFile = join(dataDir, 'pg', 'postmaster.pid');
  if (existsSync(pidFile)) {
    const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
    if (Number.isInteger(pid) && pid > 0) {
      try {
        process.kill(pid, 'SIGQUIT');
      } catch {
        // already gone
      }
    }
  }
  rmSync(dataDir, { recursive: true, force: true });
});

describe('main.ts as a process', () => {
  let adminKey = '';
  let firstTotal = 0;

  it('first start: creates, seeds, prints the URL and an admin key once, serves, and drains on SIGTERM', async () => {
    const port = await freePort();
    const running = startMain(port);
    const [, url] = await waitForOutput(running, /GraphQL at (http:\/\/\S+)/, 60_000);
    expect(url).toBe(`http://127.0.0.1:${port}/graphql`);
    const keyLine = running.stdout().match(/Admin API key[^:]*:\s*(\S+)/);
    expect(keyLine, running.stdout()).not.toBeNull();
    adminKey = keyLine![1];
    expect(adminKey.length).toBeGreaterThanOrEqual(16);
    // The key line comes before the URL line, and only once.
    expect(running.stdout().indexOf('Admin API key')).toBeLessThan(running.stdout().indexOf('GraphQL at'));
    expect(running.stdout().split('Admin API key').length).toBe(2);

    const stores = await storesTotal(url, adminKey);
    expect(stores.status, JSON.stringify(stores.body)).toBe(200);
    expect(stores.totalCount).toBeGreaterThan(0);
    firstTotal = stores.totalCount!;
    expect((await storesTotal(url, 'gp_not_a_key_at_all_0000')).status).toBe(401);

    expect(postgresFor(dataDir).length).toBeGreaterThan(0);

    // A request in flight when SIGTERM arrives still gets its answer.
    const slow = slowRequest(url, adminKey);
    slow.response.catch(() => undefined); // awaited below; keeps an early assertion failure from leaving it unhandled
    await new Promise((r) => setTimeout(r, 200));
    running.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 500));
    expect(running.child.exitCode, `exited before the in-flight request finished; stderr: ${running.stderr()}`).toBeNull();
    slow.finish();
    const answer = await slow.response;
    expect(answer.status, answer.text).toBe(200);
    const parsed = JSON.parse(answer.text) as { data?: { stores: { totalCount: number; edges: unknown[] } }; errors?: unknown };
    expect(parsed.errors).toBeUndefined();
    expect(parsed.data?.stores.totalCount).toBe(firstTotal);

    expect(await exitCodeWithin(running, 30_000), running.stderr()).toBe(0);
    expect(postgresFor(dataDir)).toEqual([]);
  }, 120_000);

  it('second start on the same DATA_DIR reuses the data and prints no new admin key', async () => {
    expect(adminKey, 'first start must have run').not.toBe('');
    const port = await freePort();
    const running = startMain(port);
    const [, url] = await waitForOutput(running, /GraphQL at (http:\/\/\S+)/, 60_000);
    expect(running.stdout()).not.toContain('Admin API key');

    const stores = await storesTotal(url, adminKey);
    expect(stores.status, JSON.stringify(stores.body)).toBe(200);
    expect(stores.totalCount).toBe(firstTotal);

    running.child.kill('SIGTERM');
    expect(await exitCodeWithin(running, 30_000), running.stderr()).toBe(0);
    expect(postgresFor(dataDir)).toEqual([]);
  }, 120_000);
});
