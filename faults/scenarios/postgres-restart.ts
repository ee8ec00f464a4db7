import { describeUnexpected, maxLatency, recoveryMs, sentBetween, unexpectedFailures } from '../outcomes.js';
import { loadedApi, requireNothingLost } from '../scenario-kit.js';
import { Verdict, sleep, type Scenario } from '../scenario.js';

const CONNECT_TIMEOUT_MS = 2_000;
const DOWN_MS = 3_000;

/**
 * Postgres fast shutdown under load, back 3 s later. The API (with Redis) must stay up,
 * refuse what needs Postgres with SERVICE_UNAVAILABLE quickly, serve fully again soon
 * after, and have lost or half-written nothing it answered as accepted.
 */
export const postgresRestart: Scenario = {
  name: 'postgres-restart',
  goal: `fast shutdown, back ${DOWN_MS / 1000} s later: process up; failures only SERVICE_UNAVAILABLE within DB_CONNECT_TIMEOUT_MS; full service ≤ 5 s after; 0 lost / 0 duplicated / 0 half-written`,
  inShort: true,
  async run(stack, context) {
    const { short, log } = context;
    const verdict = new Verdict(short);
    const { api, ledger, load } = await loadedApi(stack, context, 'pg', { DB_CONNECT_TIMEOUT_MS: String(CONNECT_TIMEOUT_MS) });

    await sleep(short ? 2_000 : 5_000);
    const downAt = Date.now();
    await stack.postgres.fastShutdown();
    log(`Postgres stopped (fast) in ${Date.now() - downAt} ms`);
    await sleep(DOWN_MS);
    await stack.postgres.start();
    const upAt = Date.now();
    log(`Postgres back after ${upAt - downAt} ms`);
    await sleep(short ? 8_000 : 10_000);
    const figures = await load.stop();

    const duringOutage = sentBetween(load, downAt, upAt);
    const failedDuring = duringOutage.filter((o) => o.outcome !== 'ok');
    const recover = recoveryMs(load, upAt);
    const unexpected = unexpectedFailures(load.outcomes, ['SERVICE_UNAVAILABLE']);
    const ledgerCheck = await ledger.verify(stack.pool);

    verdict.require(!api.exitedEarly(), `the API process died: ${api.entry.stderr().slice(-1500)}`);
    verdict.require(
      Object.keys(unexpected).length === 0,
      `failures other than SERVICE_UNAVAILABLE: ${describeUnexpected(load, unexpected, api.entry)}`,
    );
    requireNothingLost(verdict, ledgerCheck);
    verdict.require(recover <= 30_000, `full service ${recover} ms after Postgres was back (bound 30 s)`);
    verdict.require(ledgerCheck.accepted > 0, 'no write was accepted at all: the load did not reach the API');
    verdict.goal(recover <= 5_000, `full service ${recover} ms after Postgres was back (goal ≤ 5 s)`);
    const slowestFailure = maxLatency(failedDuring);
    verdict.goal(
      slowestFailure <= CONNECT_TIMEOUT_MS + 250,
      `a refused request took ${Math.round(slowestFailure)} ms (goal: within DB_CONNECT_TIMEOUT_MS ${CONNECT_TIMEOUT_MS} ms)`,
    );
    verdict.require(slowestFailure <= CONNECT_TIMEOUT_MS * 3, `a refused request hung ${Math.round(slowestFailure)} ms`);

    return {
      load: figures,
      ledger: ledgerCheck,
      recoverMs: recover,
      figures: {
        downMs: upAt - downAt,
        refusedDuring: failedDuring.length,
        slowestRefusalMs: slowestFailure,
        connectTimeoutMs: CONNECT_TIMEOUT_MS,
      },
      verdict,
    };
  },
};
