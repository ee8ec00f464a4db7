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
