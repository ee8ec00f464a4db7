import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../src/db/embedded-postgres.js';
import { postmasterPidOf, startEntry, stopAllEntries, type EntryProcess } from './helpers/entry-process.js';
import { isProcessAlive } from '../src/db/embedded-connection-file.js';

/**
 * The real entry point (`src/main.ts`) as a child process against its own embedded
 * Postgres under a temp DATA_DIR: start-up output, serving, graceful SIGTERM with a
 * request in flight, and a restart that reuses the data.
 */

let dataDir: string;

function startMain(port: number): EntryProcess {
  return startEntry('start', {
    DATA_DIR: dataDir,
    PORT: String(port),
    HOST: '127.0.0.1',
    DEMO_SCALE: '0.01',
    LOG_LEVEL: 'info',
    EMBEDDED_PG_FAST: 'true',
  });
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
 * body pending) until `finish()` sends the rest. `inFlight` resolves when the server has
 * read the headers (it answers `Expect: 100-continue`), so no test waits by the clock.
 */
function slowRequest(url: string, key: string) {
  const body = Buffer.from(JSON.stringify({ query: '{ stores(first: 5) { totalCount edges { node { id name } } } }' }));
  const target = new URL(url);
  let finish!: () => void;
  let markInFlight!: () => void;
  const inFlight = new Promise<void>((resolve) => (markInFlight = resolve));
  const response = new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-length': body.length,
          authorization: `Bearer ${key}`,
          expect: '100-continue',
        },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.on('continue', () => {
      req.write(body.subarray(0, 10));
      markInFlight();
    });
    req.flushHeaders();
    finish = () => req.end(body.subarray(10));
  });
  return { response, inFlight, finish: () => finish() };
}

beforeAll(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'graphpulse-process-'));
});

afterAll(async () => {
  await stopAllEntries();
  // A killed main.ts would leave its postmaster behind: stop it by the pid it recorded.
  const pid = postmasterPidOf(join(dataDir, 'pg'));
  if (pid && isProcessAlive(pid)) process.kill(pid, 'SIGQUIT');
  rmSync(dataDir, { recursive: true, force: true });
});

describe('main.ts as a process', () => {
  let adminKey = '';
  let firstTotal = 0;

  it('first start: creates, seeds, prints the URL and an admin key once, serves, and drains on SIGTERM', async () => {
    const port = await freePort();
    const running = startMain(port);
    const [, url] = await running.waitForOutput(/GraphQL at (http:\/\/\S+)/, 60_000);
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
    await slow.inFlight;
    running.signal('SIGTERM');
    await running.waitForOutput(/shutting down/, 10_000);
    expect(
      await Promise.race([running.exited.then(() => 'exited'), Promise.resolve('running')]),
      'exited before the in-flight request finished',
    ).toBe('running');
    slow.finish();
    const answer = await slow.response;
    expect(answer.status, answer.text).toBe(200);
    const parsed = JSON.parse(answer.text) as { data?: { stores: { totalCount: number; edges: unknown[] } }; errors?: unknown };
    expect(parsed.errors).toBeUndefined();
    expect(parsed.data?.stores.totalCount).toBe(firstTotal);

    expect((await running.exitWithin(30_000)).code, running.stderr()).toBe(0);
    expect(postgresFor(dataDir)).toEqual([]);
  }, 120_000);

  it('second start on the same DATA_DIR reuses the data and prints no new admin key', async () => {
    expect(adminKey, 'first start must have run').not.toBe('');
    const port = await freePort();
    const running = startMain(port);
    const [, url] = await running.waitForOutput(/GraphQL at (http:\/\/\S+)/, 60_000);
    expect(running.stdout()).not.toContain('Admin API key');

    const stores = await storesTotal(url, adminKey);
    expect(stores.status, JSON.stringify(stores.body)).toBe(200);
    expect(stores.totalCount).toBe(firstTotal);

    running.signal('SIGTERM');
    expect((await running.exitWithin(30_000)).code, running.stderr()).toBe(0);
    expect(postgresFor(dataDir)).toEqual([]);
  }, 120_000);
});
