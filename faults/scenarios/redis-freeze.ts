import { describeUnexpected, maxLatency, recoveryMs, sentBetween, unexpectedFailures } from '../outcomes.js';
import { loadedApi, requireNothingLost } from '../scenario-kit.js';
import { Verdict, sleep, type Scenario } from '../scenario.js';

const FROZEN_MS = 5_000;
/** The Redis command timeout of src/redis.ts. */
const COMMAND_TIMEOUT_MS = 250;

/**
 * Redis SIGSTOPped for 5 s under load (the socket stays open, nothing answers), then
 * SIGCONT. Nothing may fail, no request may wait longer than one command timeout plus
 * 50 ms beyond what it takes without the fault, and every accepted write must be stored.
 */
export const redisFreeze: Scenario = {
  name: 'redis-freeze',
  goal: `Redis SIGSTOP ${FROZEN_MS / 1000} s, then SIGCONT: 0 failed requests; no request waits longer than the command timeout (${COMMAND_TIMEOUT_MS} ms) + 50 ms; 0 accepted writes lost`,
  inShort: true,
  async run(stack, context) {
    const { short, log } = context;
    const verdict = new Verdict(short);
    const { api, ledger, load, redis } = await loadedApi(stack, context, 'rf');
    await sleep(short ? 2_000 : 5_000);
    const baselineMax = maxLatency(load.outcomes);

    const frozenAt = Date.now();
    redis.freeze();
    await sleep(FROZEN_MS);
    redis.thaw();
    const thawedAt = Date.now();
    log(`Redis frozen ${thawedAt - frozenAt} ms`);
    await sleep(short ? 3_000 : 5_000);
    const figures = await load.stop();
    const ledgerCheck = await ledger.verify(stack.pool);

    // Requests that overlapped the freeze: sent during it, or in flight when it began.
    const touched = sentBetween(load, frozenAt - 1_000, thawedAt + 500).filter((o) => load.startedAt + o.sentAt + o.latencyMs >= frozenAt);
    const frozenMax = maxLatency(touched);
    const unexpected = unexpectedFailures(load.outcomes);
    verdict.require(Object.keys(unexpected).length === 0, `failed requests: ${describeUnexpected(load, unexpected, api.entry)}`);
    requireNothingLost(verdict, ledgerCheck);
    verdict.require(frozenMax < 5_000, `a request waited ${Math.round(frozenMax)} ms on the frozen Redis`);
    verdict.goal(
      frozenMax <= COMMAND_TIMEOUT_MS + 50,
      `the slowest request during the freeze took ${Math.round(frozenMax)} ms (goal ≤ ${COMMAND_TIMEOUT_MS + 50} ms; before the freeze the slowest took ${Math.round(baselineMax)} ms)`,
    );
    return {
      load: figures,
      ledger: ledgerCheck,
      recoverMs: recoveryMs(load, thawedAt),
      figures: {
        frozenMs: thawedAt - frozenAt,
        maxDuringFreezeMs: frozenMax,
        maxBeforeMs: baselineMax,
        // Which kind of request was slowest during the freeze: reads, misses, orders or ingestion.
        maxByKind: [...new Set(touched.map((o) => o.kind))]
          .map((kind) => `${kind}:${Math.round(maxLatency(touched.filter((o) => o.kind === kind)))}`)
          .join(','),
        commandTimeoutMs: COMMAND_TIMEOUT_MS,
      },
      verdict,
    };
  },
};
