import { startSteadyLoad } from '../load.js';
import { WriteLedger } from '../ledger.js';
import { describeUnexpected, sentBetween, unexpectedFailures } from '../outcomes.js';
import { Verdict, sleep, type Scenario } from '../scenario.js';
import { FAULTS_ADMIN_KEY } from '../stack.js';
import { mixedWorkload } from '../workload.js';

const GRACE_MS = 10_000;
/** Requests sent this close to the signal may reach the listener after it closed: refused, which is allowed. */
const RACE_MS = 50;

/**
 * SIGTERM to a single API process under load. Every request it received completes; it
 * exits 0 within SHUTDOWN_GRACE_MS; later requests are refused at connect (ECONNREFUSED),
 * never cut off or reset on a reused keep-alive connection.
 */
export const apiSigterm: Scenario = {
  name: 'api-sigterm',
  goal: 'SIGTERM under load: every request sent before it completes; exit 0 within SHUTDOWN_GRACE_MS; later requests refused at connect, never reset',
  inShort: true,
  async run(stack, { short, rate, log }) {
    const verdict = new Verdict(short);
    const redis = await stack.startRedis();
    const api = await stack.startApi({ REDIS_URL: redis.url, SHUTDOWN_GRACE_MS: String(GRACE_MS) });
    const ledger = new WriteLedger(`faults-st-${Date.now().toString(36)}`);
    const load = await startSteadyLoad({
      url: api.url,
      apiKey: FAULTS_ADMIN_KEY,
      ratePerSec: rate,
      next: mixedWorkload(stack.catalog, ledger),
    });
    await sleep(short ? 2_000 : 5_000);

    const signalledAt = Date.now();
    api.entry.signal('SIGTERM');
    const exit = await api.entry.exitWithin(GRACE_MS + 5_000);
    log(`exited with ${exit.code ?? exit.signal} after ${exit.elapsedMs} ms`);
    await sleep(2_000);
    const figures = await load.stop();
    const ledgerCheck = await ledger.verify(stack.pool);

    const before = sentBetween(load, 0, signalledAt - RACE_MS);
    const after = sentBetween(load, signalledAt - RACE_MS, Infinity);
    const cutBefore = unexpectedFailures(before);
    const badAfter = unexpectedFailures(after, ['ECONNREFUSED']);
    verdict.require(exit.code === 0, `exit code ${exit.code ?? exit.signal} (expected 0)`);
    verdict.require(exit.elapsedMs <= GRACE_MS, `exit after ${exit.elapsedMs} ms (grace ${GRACE_MS} ms)`);
    verdict.require(
      Object.keys(cutBefore).length === 0,
      `requests sent before SIGTERM failed: ${describeUnexpected(load, cutBefore, api.entry)}`,
    );
    verdict.require(
      Object.keys(badAfter).length === 0,
      `requests after SIGTERM failed otherwise than refused: ${describeUnexpected(load, badAfter, api.entry)}`,
    );
    verdict.require(
      ledgerCheck.lost === 0 && ledgerCheck.duplicated === 0 && ledgerCheck.halfWritten === 0,
      'accepted writes lost, duplicated or half-written',
    );
    return {
      load: figures,
      ledger: ledgerCheck,
      recoverMs: null,
      figures: {
        exitCode: exit.code ?? String(exit.signal),
        exitMs: exit.elapsedMs,
        completedAfterSignal: after.filter((o) => o.outcome === 'ok').length,
        refusedAfterSignal: after.filter((o) => o.outcome === 'ECONNREFUSED').length,
      },
      verdict,
    };
  },
};
