import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { postmasterPidOf, startEntry } from '../../test/helpers/entry-process.js';
import { freePort } from '../../src/db/embedded-postgres.js';
import { isProcessAlive, readConnectionFile } from '../../src/db/embedded-connection-file.js';
import { isReady } from '../api-client.js';
import { startSteadyLoad } from '../load.js';
import { WriteLedger } from '../ledger.js';
import { describeUnexpected, recoveryMs, sentBetween, unexpectedFailures } from '../outcomes.js';
import { msUntil } from '../probes.js';
import { requireNothingLost } from '../scenario-kit.js';
import { Verdict, sleep, type Scenario } from '../scenario.js';
import { FAULTS_ADMIN_KEY } from '../stack.js';
import { mixedWorkload } from '../workload.js';

const KILL_FAILURES = ['ECONNREFUSED', 'ECONNRESET', 'EPIPE'];

/**
 * The embedded default (`npm start` with no DATABASE_URL: the API owns its Postgres)
 * SIGKILLed under load. Its postmaster outlives it; the next start on the same DATA_DIR
 * must take it over (or replace it) and be ready within 10 s, with no accepted write lost.
 */
export const apiSigkillEmbedded: Scenario = {
  name: 'api-sigkill-embedded',
  goal: 'embedded default SIGKILLed under load: the orphaned postmaster is handled; ready ≤ 10 s; 0 accepted writes lost',
  inShort: true,
  async run(stack, { short, rate, log }) {
    const verdict = new Verdict(short);
    const dataDir = mkdtempSync(join(tmpdir(), 'graphpulse-faults-embedded-'));
    const port = await freePort();
    const env = {
      DATA_DIR: dataDir,
      PORT: String(port),
      HOST: '127.0.0.1',
      ADMIN_API_KEY: FAULTS_ADMIN_KEY,
      SEED: 'demo',
      DEMO_SCALE: '0.01',
      LOG_LEVEL: 'warn',
      NODE_ENV: 'production',
      JOB_REFRESH_CRON: 'off',
      JOB_CLEANUP_CRON: 'off',
    };
    const start = async () => {
      const entry = startEntry('start', env);
      stack.track(entry);
      const [, url] = await entry.waitForOutput(/GraphQL at (http:\/\/\S+)/, 180_000);
      return { entry, url };
    };
    let pool: pg.Pool | null = null;
    try {
      const first = await start();
      const connection = readConnectionFile(dataDir);
      if (!connection) throw new Error('the embedded API published no connection file');
      const catalogPool = new pg.Pool({ connectionString: connection.url, max: 1 });
      catalogPool.on('error', (error) => log(`catalog pool: ${error.message}`));
      const catalog = {
        storeIds: (await catalogPool.query<{ id: string }>('SELECT id::text FROM stores ORDER BY id')).rows.map((r) => r.id),
        productIds: (await catalogPool.query<{ id: string }>('SELECT id::text FROM products ORDER BY id')).rows.map((r) => r.id),
      };
      await catalogPool.end();
      const ledger = new WriteLedger(`faults-ske-${Date.now().toString(36)}`);
      const load = await startSteadyLoad({
        url: first.url,
        apiKey: FAULTS_ADMIN_KEY,
        ratePerSec: Math.round(rate / 2),
        next: mixedWorkload(catalog, ledger),
      });
      await sleep(short ? 2_000 : 5_000);

      const killedAt = Date.now();
      first.entry.signal('SIGKILL');
      await first.entry.exited;
      const orphan = postmasterPidOf(join(dataDir, 'pg'));
      const orphanAlive = orphan !== null && isProcessAlive(orphan);
      const second = await start();
      const readyMs = await msUntil(() => isReady(second.url), killedAt, 60_000, 50);
      const readyAt = killedAt + (readyMs ?? 60_000);
      log(`killed (orphaned postmaster ${orphan ?? 'none'} ${orphanAlive ? 'alive' : 'gone'}); ready again ${readyMs} ms after the kill`);
      await sleep(short ? 3_000 : 5_000);
      const figures = await load.stop();
      const reconnected = readConnectionFile(dataDir);
      if (!reconnected) throw new Error('the restarted API published no connection file');
      pool = new pg.Pool({ connectionString: reconnected.url, max: 1 });
      pool.on('error', (error) => log(`ledger pool: ${error.message}`));
      const ledgerCheck = await ledger.verify(pool);

      const aroundKill = unexpectedFailures(sentBetween(load, killedAt - 1_000, readyAt), KILL_FAILURES);
      const otherwise = unexpectedFailures([...sentBetween(load, 0, killedAt - 1_000), ...sentBetween(load, readyAt, Infinity)]);
      verdict.require(
        Object.keys(aroundKill).length === 0,
        `failures other than refused/reset around the kill: ${describeUnexpected(load, aroundKill)}`,
      );
      verdict.require(
        Object.keys(otherwise).length === 0,
        `failures before the kill or after the restart was ready: ${describeUnexpected(load, otherwise, second.entry)}`,
      );
      requireNothingLost(verdict, ledgerCheck);
      verdict.require(readyMs !== null && readyMs <= 30_000, `the restart was not ready within 30 s (${readyMs} ms)`);
      verdict.goal(readyMs !== null && readyMs <= 10_000, `ready ${readyMs} ms after the kill (goal ≤ 10 s)`);
      return {
        load: figures,
        ledger: ledgerCheck,
        recoverMs: recoveryMs(load, readyAt),
        figures: { readyMs: readyMs ?? 'never', orphanedPostmaster: orphanAlive ? 'alive' : 'none' },
        verdict,
      };
    } finally {
      await pool?.end();
      // The API stops its Postgres on SIGTERM (resetScenario); a postmaster orphaned by a failure here must go too.
      const postmaster = postmasterPidOf(join(dataDir, 'pg'));
      await stack.resetScenario();
      if (postmaster !== null && isProcessAlive(postmaster)) process.kill(postmaster, 'SIGQUIT');
      await sleep(postmaster !== null ? 500 : 0);
      rmSync(dataDir, { recursive: true, force: true });
    }
  },
};
