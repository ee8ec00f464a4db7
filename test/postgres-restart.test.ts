import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres, type RunningPostgres } from '../src/db/embedded-postgres.js';
import { createLogger } from '../src/logger.js';
import { TEST_ADMIN_KEY } from './helpers/constants.js';
import { startApiEntry, stopAllEntries, type EntryProcess } from './helpers/entry-process.js';
import { graphqlRequest } from './helpers/graphql-client.js';
import { waitFor } from './helpers/wait-for.js';

/**
 * A Postgres restart (fast shutdown, back a few seconds later) under a steady trickle of
 * requests: the API process stays up, answers SERVICE_UNAVAILABLE quickly while Postgres
 * is gone, and serves again once it is back. It once died of an unhandled pg 'error'
 * event (57P01 "terminating connection due to administrator command").
 */

let dataDir: string;
let postgres: RunningPostgres | null = null;
let api: EntryProcess;
let url: string;
const logger = createLogger('warn');

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'graphpulse-pg-restart-'));
  postgres = await startEmbeddedPostgres(dataDir, logger, true);
  ({ api, url } = await startApiEntry({
    DATABASE_URL: postgres.adminUrl,
    SEED: 'demo',
    DEMO_SCALE: '0.01',
    HOST: '127.0.0.1',
    ADMIN_API_KEY: TEST_ADMIN_KEY,
    LOG_LEVEL: 'warn',
    WORKERS: 'inline',
    DB_CONNECT_TIMEOUT_MS: '1000',
    JOB_REFRESH_CRON: 'off',
    JOB_CLEANUP_CRON: 'off',
  }));
}, 120_000);

afterAll(async () => {
  await stopAllEntries();
  await postgres?.stop().catch(() => undefined); // may already be stopped by a failed test
  rmSync(dataDir, { recursive: true, force: true });
});

/** A request that reads Postgres every time (orders are never cached). */
const readOrders = () =>
  graphqlRequest<{ orders: { totalCount: number } }>(url, '{ orders(first: 1) { totalCount } }', { key: TEST_ADMIN_KEY });

describe('Postgres restarted under the API', () => {
  it('the process stays up, fails fast while Postgres is down, and serves again after', async () => {
    let exited = false;
    void api.exited.then(() => (exited = true));
    expect((await readOrders()).status).toBe(200);
    // Steady load, so connections are lent out (mid-statement) when Postgres goes: each gets 57P01.
    let loading = true;
    const statuses: number[] = [];
    const loops = Array.from({ length: 6 }, async () => {
      while (loading && !exited) statuses.push((await readOrders().catch(() => ({ status: 0 }))).status);
    });
    await waitFor(() => statuses.length >= 30, { timeoutMs: 20_000, what: 'load to be flowing' });
    await postgres!.stop();
    loading = false;
    await Promise.all(loops);

    const startedAt = Date.now();
    const during = await readOrders();
    expect(Date.now() - startedAt, 'a request during the outage must not hang').toBeLessThan(5_000);
    expect(during.body.errors?.[0]?.extensions?.code).toBe('SERVICE_UNAVAILABLE');
    expect(exited, `the API died: ${api.stdout().slice(-2000)}`).toBe(false);
    expect(
      statuses.filter((status) => status === 0),
      'no request may be cut off (connection reset)',
    ).toEqual([]);

    // Back on the same port (embedded Postgres remembers it), after a few seconds.
    postgres = await startEmbeddedPostgres(dataDir, logger, true);
    const back = Date.now();
    await waitFor(async () => (await readOrders()).status === 200 && !(await readOrders()).body.errors, {
      timeoutMs: 30_000,
      intervalMs: 200,
      what: 'the API to serve again after Postgres came back',
    });
    const recoveredInMs = Date.now() - back;
    expect(recoveredInMs).toBeLessThan(30_000);
    expect(exited, `the API died: ${api.stdout().slice(-2000)}`).toBe(false);
    expect(api.stdout() + api.stderr()).not.toMatch(/Unhandled 'error' event|crashed/);
  }, 120_000);
});
