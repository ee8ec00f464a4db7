import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../src/db/embedded-postgres.js';
import { connectionFilePath, isProcessAlive, readConnectionFile } from '../src/db/embedded-connection-file.js';
import { lastDays } from './helpers/dates.js';
import { postmasterPidOf, startApiEntry, startEntry, stopAllEntries } from './helpers/entry-process.js';
import { dataOf, graphqlRequest } from './helpers/graphql-client.js';
import { waitFor } from './helpers/wait-for.js';

/**
 * The embedded default as a person runs it, with real processes on one DATA_DIR: the API
 * publishes its database for `npm run worker` (which then needs no configuration), a
 * worker without an API gives up clearly, a SIGKILLed API leaves a postmaster that the
 * next start takes over, a failed start exits non-zero and leaves nothing running.
 */

let dataDir: string;
const ADMIN_KEY = 'gp_process_embedded_admin_key_0001';
const databaseDir = () => join(dataDir, 'pg');

function env(extra: Record<string, string> = {}): Record<string, string> {
  return {
    DATA_DIR: dataDir,
    HOST: '127.0.0.1',
    ADMIN_API_KEY: ADMIN_KEY,
    DEMO_SCALE: '0.01',
    EMBEDDED_PG_FAST: 'true',
    LOG_LEVEL: 'info',
    JOB_REFRESH_CRON: 'off',
    JOB_CLEANUP_CRON: 'off',
    ...extra,
  };
}

const startApi = (extra: Record<string, string> = {}) => startApiEntry(env(extra));

async function storeCount(url: string): Promise<number> {
  return dataOf(await graphqlRequest<{ stores: { totalCount: number } }>(url, '{ stores { totalCount } }', { key: ADMIN_KEY })).stores
    .totalCount;
}

beforeAll(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'graphpulse-embedded-'));
});

afterAll(async () => {
  await stopAllEntries();
  const orphan = postmasterPidOf(databaseDir());
  if (orphan && isProcessAlive(orphan)) process.kill(orphan, 'SIGQUIT');
  rmSync(dataDir, { recursive: true, force: true });
});

describe('embedded mode with real processes', () => {
  it('a worker started without an API waits WORKER_ATTACH_TIMEOUT_MS, then exits 2 saying what to do', async () => {
    const worker = startEntry('worker', env({ WORKER_ATTACH_TIMEOUT_MS: '1500' }));
    const { code } = await worker.exitWithin(60_000);
    expect(code, worker.stderr()).toBe(2);
    expect(worker.stderr()).toMatch(/No API process is serving the embedded database.*Start the API first/s);
    expect(postmasterPidOf(databaseDir())).toBeNull();
  }, 90_000);

  it('npm run worker attaches to the API’s embedded database by itself and runs its jobs', async () => {
    const { api, url } = await startApi({ WORKERS: 'none' });
    const connection = readConnectionFile(dataDir);
    expect(connection?.pid).toBe(api.pid);
    expect(statSync(connectionFilePath(dataDir)).mode & 0o777).toBe(0o600);

    const worker = startEntry('worker', env());
    await worker.waitForOutput(/attached to the embedded database of a running API process/, 60_000);
    await worker.waitForOutput(/graphpulse worker is running/, 60_000);

    const started = dataOf(
      await graphqlRequest<{ generateReport: { id: string } }>(
        url,
        'mutation($range: DateRange!) { generateReport(kind: DAILY_SALES, range: $range) { id } }',
        { key: ADMIN_KEY, variables: { range: lastDays(7) } },
      ),
    );
    let state = '';
    await waitFor(
      async () => {
        const job = dataOf(
          await graphqlRequest<{ job: { state: string } }>(url, 'query($id: ID!) { job(id: $id) { state } }', {
            key: ADMIN_KEY,
            variables: { id: started.generateReport.id },
          }),
        );
        state = job.job.state;
        return state === 'COMPLETED' || state === 'FAILED';
      },
      { timeoutMs: 60_000, intervalMs: 200, what: 'the report job to finish on the separate worker' },
    );
    expect(state).toBe('COMPLETED');

    worker.signal('SIGTERM');
    expect((await worker.exitWithin(30_000)).code, worker.stderr()).toBe(0);
    api.signal('SIGTERM');
    expect((await api.exitWithin(30_000)).code, api.stderr()).toBe(0);
    expect(existsSync(connectionFilePath(dataDir))).toBe(false);
    expect(postmasterPidOf(databaseDir())).toBeNull();
  }, 180_000);

  it('after a SIGKILL of the API the next start takes over the orphaned postmaster and serves the same data', async () => {
    const first = await startApi();
    const stores = await storeCount(first.url);
    first.api.signal('SIGKILL');
    await first.api.exited;
    const orphan = postmasterPidOf(databaseDir());
    expect(orphan !== null && isProcessAlive(orphan), 'the SIGKILLed API leaves its postmaster running').toBe(true);

    const second = await startApi();
    expect(isProcessAlive(orphan!)).toBe(false);
    expect(await storeCount(second.url)).toBe(stores);
    expect(second.api.stdout() + second.api.stderr()).toMatch(/stopping an orphaned embedded Postgres/);
    second.api.signal('SIGTERM');
    expect((await second.api.exitWithin(30_000)).code, second.api.stderr()).toBe(0);
    await waitFor(() => postmasterPidOf(databaseDir()) === null, { timeoutMs: 10_000, what: 'the postmaster to stop' });
  }, 240_000);

  it('a start that fails (port taken) exits 1 and leaves no Postgres behind', async () => {
    const port = await freePort();
    const blocker: Server = createServer();
    await new Promise<void>((done) => blocker.listen(port, '127.0.0.1', () => done()));
    try {
      const api = startEntry('start', env({ PORT: String(port) }));
      const { code } = await api.exitWithin(90_000);
      expect(code, api.stderr()).toBe(1);
      expect(api.stderr()).toMatch(/could not start: .*EADDRINUSE/);
      await waitFor(
        () => {
          const pid = postmasterPidOf(databaseDir());
          return pid === null || !isProcessAlive(pid);
        },
        { timeoutMs: 15_000, what: 'the postmaster to stop' },
      );
    } finally {
      await new Promise<void>((done) => blocker.close(() => done()));
    }
  }, 120_000);

  it('npm run migrate works on the embedded default (starts and stops the database itself)', () => {
    const child = spawnSync('npm', ['run', '--silent', 'migrate'], {
      encoding: 'utf8',
      env: { ...process.env, ...env(), DATABASE_URL: '' },
      timeout: 120_000,
    });
    expect(child.status, child.stderr).toBe(0);
    expect(child.stdout).toMatch(/database is up to date|migrations applied/);
    expect(postmasterPidOf(databaseDir())).toBeNull();
  }, 150_000);
});
