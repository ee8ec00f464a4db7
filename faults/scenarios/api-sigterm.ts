import { describeUnexpected, sentBetween, unexpectedFailures } from '../outcomes.js';
import { loadedApi, requireNothingLost } from '../scenario-kit.js';
import { Verdict, sleep, type Scenario } from '../scenario.js';

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
  async run(stack, context) {
    const { short, log } = context;
    const verdict = new Verdict(short);
    const { api, ledger, load } = await loadedApi(stack, context, 'st', { SHUTDOWN_GRACE_MS: String(GRACE_MS) });
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
    requireNothingLost(verdict, ledgerCheck);
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
