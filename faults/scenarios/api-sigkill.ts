import { startSteadyLoad } from '../load.js';
import { WriteLedger } from '../ledger.js';
import { describeUnexpected, recoveryMs, sentBetween, unexpectedFailures } from '../outcomes.js';
import { isReady } from '../api-client.js';
import { jobState, msUntil, queueReport } from '../probes.js';
import { requireNothingLost } from '../scenario-kit.js';
import { Verdict, sleep, type Scenario } from '../scenario.js';
import { FAULTS_ADMIN_KEY } from '../stack.js';
import { lastDays, mixedWorkload } from '../workload.js';

const JOBS = 4;
/** A connection refused while the process is gone, or cut when it died: the only failures a SIGKILL may cause. */
const KILL_FAILURES = ['ECONNREFUSED', 'ECONNRESET', 'EPIPE'];

/**
 * SIGKILL to an API process (Postgres and Redis outside it) under load, just after it
 * queued report jobs; a new process on the same port. It must be ready within 10 s, have
 * lost no write it had answered as accepted, and the jobs the dead one queued must run.
 */
export const apiSigkill: Scenario = {
  name: 'api-sigkill',
  goal: `SIGKILL under load and restart: ready ≤ 10 s; 0 accepted writes lost; the ${JOBS} jobs it had queued complete; failures only while it was gone`,
  inShort: true,
  async run(stack, { short, rate, log }) {
    const verdict = new Verdict(short);
    const redis = await stack.startRedis();
    // Short stall checks, so a job active in the killed process is taken up again within seconds.
    const env = { REDIS_URL: redis.url, WORKERS: 'inline', JOB_STALLED_INTERVAL_MS: '1000', JOB_LOCK_DURATION_MS: '2000' };
    const first = await stack.startApi(env);
    const ledger = new WriteLedger(`faults-sk-${Date.now().toString(36)}`);
    const load = await startSteadyLoad({
      url: first.url,
      apiKey: FAULTS_ADMIN_KEY,
      ratePerSec: rate,
      next: mixedWorkload(stack.catalog, ledger),
    });
    await sleep(short ? 2_000 : 5_000);

    const jobIds = await Promise.all(
      Array.from({ length: JOBS }, (_, i) =>
        queueReport(first.url, lastDays(20 + i + (Date.now() % 100)), stack.catalog.storeIds.slice(0, 3)),
      ),
    );
    const killedAt = Date.now();
    first.entry.signal('SIGKILL');
    await first.entry.exited;
    const second = await stack.startApi(env, { port: first.port });
    const readyMs = await msUntil(() => isReady(second.url), killedAt, 60_000, 50);
    log(`killed; the new process was ready ${readyMs} ms after the kill (spawn to "GraphQL at": ${second.startMs} ms)`);
    const readyAt = killedAt + (readyMs ?? 60_000);
    const jobsDoneMs = await msUntil(
      async () => (await Promise.all(jobIds.map((id) => jobState(second.url, id)))).every((s) => s === 'COMPLETED'),
      killedAt,
      60_000,
      200,
    );
    const states = await Promise.all(jobIds.map((id) => jobState(second.url, id).catch((error: unknown) => String(error))));
    await sleep(short ? 3_000 : 5_000);
    const figures = await load.stop();
    const ledgerCheck = await ledger.verify(stack.pool);

    const beforeKill = unexpectedFailures(sentBetween(load, 0, killedAt - 1_000));
    const whileGone = unexpectedFailures(sentBetween(load, killedAt - 1_000, readyAt), KILL_FAILURES);
    const afterReady = unexpectedFailures(sentBetween(load, readyAt, Infinity));
    verdict.require(Object.keys(beforeKill).length === 0, `failures before the kill: ${describeUnexpected(load, beforeKill, first.entry)}`);
    verdict.require(
      Object.keys(whileGone).length === 0,
      `failures other than refused/reset around the kill: ${describeUnexpected(load, whileGone)}`,
    );
    verdict.require(
      Object.keys(afterReady).length === 0,
      `failures after the restart was ready: ${describeUnexpected(load, afterReady, second.entry)}`,
    );
    requireNothingLost(verdict, ledgerCheck);
    verdict.require(jobsDoneMs !== null, `the queued jobs did not all complete within 60 s: ${states.join(', ')}`);
    verdict.require(readyMs !== null && readyMs <= 30_000, `the restart was not ready within 30 s (${readyMs} ms)`);
    verdict.goal(readyMs !== null && readyMs <= 10_000, `ready ${readyMs} ms after the kill (goal ≤ 10 s)`);
    return {
      load: figures,
      ledger: ledgerCheck,
      recoverMs: recoveryMs(load, readyAt),
      figures: {
        readyMs: readyMs ?? 'never',
        jobsCompletedMs: jobsDoneMs ?? 'never',
        failedWhileGone: sentBetween(load, killedAt - 1_000, readyAt).filter((o) => o.outcome !== 'ok').length,
      },
      verdict,
    };
  },
};
