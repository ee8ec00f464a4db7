import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres, type RunningPostgres } from '../src/db/embedded-postgres.js';
import { createLogger } from '../src/logger.js';

const logger = createLogger('silent');
const dirs: string[] = [];
const running = new Set<RunningPostgres>();

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'graphpulse-embedded-'));
  dirs.push(dir);
  return dir;
}

async function start(dir: string): Promise<RunningPostgres> {
  const server = await startEmbeddedPostgres(dir, logger, true);
  running.add(server);
  return server;
}

async function stop(server: RunningPostgres): Promise<void> {
  running.delete(server);
  await server.stop();
}

async function query<T extends pg.QueryResultRow>(url: string, text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  // A failure of the session shows as the rejected statement; without a listener it would also be an uncaught 'error'.
  client.on('error', () => {});
  await client.connect();
  try {
    return (await client.query<T>(text)).rows;
  } finally {
    await client.end();
  }
}

afterAll(async () => {
  for (const server of [...running]) await stop(server).catch(() => undefined);
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('startEmbeddedPostgres', () => {
  it('initialises on first start and keeps the data for the next start', async () => {
    const dir = tempDir();
    const first = await start(dir);
    expect(first.port).toBeGreaterThan(0);
    expect(first.adminUrl).toContain(`:${first.port}/`);
    await query(first.adminUrl, 'CREATE TABLE survives_restart (id int PRIMARY KEY, note text)');
    await query(first.adminUrl, "INSERT INTO survives_restart VALUES (1, 'from run 1')");
    await stop(first);

    // Stopped means stopped: the old port no longer answers.
    await expect(query(first.adminUrl, 'SELECT 1')).rejects.toThrow();

    const second = await start(dir);
    const rows = await query<{ id: number; note: string }>(second.adminUrl, 'SELECT id, note FROM survives_restart');
    expect(rows).toEqual([{ id: 1, note: 'from run 1' }]);
    await stop(second);
  });

  it('also listens on a Unix socket in its data directory, and only on TCP when that path would be too long', async () => {
    const dir = tempDir();
    const server = await start(dir);
    expect(server.socketDir).toBe(join(dir, 'pg'));
    const url = new URL(server.adminUrl);
    url.searchParams.set('host', server.socketDir!);
    // A session through the socket has no client address; one through TCP has 127.0.0.1.
    const [overSocket] = await query<{ addr: string | null }>(url.toString(), 'SELECT inet_client_addr()::text AS addr');
    expect(overSocket.addr).toBeNull();
    const [overTcp] = await query<{ addr: string | null }>(server.adminUrl, 'SELECT inet_client_addr()::text AS addr');
    expect(overTcp.addr).toBe('127.0.0.1/32');
    await stop(server);

    const deep = join(tempDir(), 'a-directory-name-long-enough-that-the-socket-path-would-not-fit-in-sun-path-at-all');
    const tcpOnly = await start(deep);
    expect(tcpOnly.socketDir).toBeNull();
    expect(await query(tcpOnly.adminUrl, 'SELECT 1 AS one')).toEqual([{ one: 1 }]);
    await stop(tcpOnly);
  });

  it('refuses a second server on a directory in use, with a clear message, and leaves the first running', async () => {
    const dir = tempDir();
    const first = await start(dir);
    let failure: unknown;
    try {
      const second = await start(dir);
      await stop(second);
    } catch (error) {
      failure = error;
    }
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).message).toMatch(/in use/);
    expect((failure as Error).message).toContain(dir);
    // The first server is unharmed.
    expect(await query<{ one: number }>(first.adminUrl, 'SELECT 1 AS one')).toEqual([{ one: 1 }]);
    await stop(first);
    // Once stopped, the directory can be used again.
    const again = await start(dir);
    expect(await query<{ one: number }>(again.adminUrl, 'SELECT 1 AS one')).toEqual([{ one: 1 }]);
    await stop(again);
  });
});
