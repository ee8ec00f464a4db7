import { startSteadyLoad } from '../load.js';
import { WriteLedger } from '../ledger.js';
import { describeUnexpected, recoveryMs, unexpectedFailures } from '../outcomes.js';
import { cacheDegraded, msUntil, recordProbeOrder, storeRevenue } from '../probes.js';
import { requireNothingLost } from '../scenario-kit.js';
import { Verdict, sleep, type Scenario } from '../scenario.js';
import { FAULTS_ADMIN_KEY } from '../stack.js';
import { lastDays, mixedWorkload } from '../workload.js';

const DOWN_MS = 5_000;
/** What the stale window after Redis returns is checked against (the cache's stated bound: breaker cooldown plus replay). */
const STALE_AFTER_RETURN_GOAL_MS = 2_000;

/**
 * Redis SIGKILLed under load on two API instances, restarted 5 s later (empty: it keeps
 * nothing). No request may fail; the breaker must open within 1 s and L2 be in use again
 * within 5 s of Redis returning. An order recorded on A while Redis is down invalidates a
 * revenue entry B holds in L1: how long B keeps serving the old figure is measured, and
 * must end within the stated bound after Redis is back.
 */
export const redisKill: Scenario = {
  name: 'redis-kill',
  goal: `Redis SIGKILL, back ${DOWN_MS / 1000} s later: 0 failed requests; breaker open ≤ 1 s; L2 in use ≤ 5 s after; an invalidation made during the outage reaches the other instance ≤ ${STALE_AFTER_RETURN_GOAL_MS / 1000} s after Redis is back`,
  inShort: true,
  async run(stack, { short, rate, log }) {
    const verdict = new Verdict(short);
    const redis = await stack.startRedis();
    const env = { REDIS_URL: redis.url };
    const [a, b] = await Promise.all([stack.startApi(env), stack.startApi(env)]);
    const ledger = new WriteLedger(`faults-rk-${Date.now().toString(36)}`);
    // The last store is the probe's: the load neither writes to it nor reads it.
    const storeId = stack.catalog.storeIds.at(-1)!;
    const loadCatalog = { ...stack.catalog, storeIds: stack.catalog.storeIds.slice(0, -1) };
    const load = await startSteadyLoad({
      url: [a.url, b.url],
      apiKey: FAULTS_ADMIN_KEY,
      ratePerSec: rate,
      next: mixedWorkload(loadCatalog, ledger),
    });

    // B caches a figure that A's write during the outage will change.
    const range = lastDays(7);
    const before = await storeRevenue(b.url, storeId, range);
    await sleep(short ? 1_000 : 3_000);

    const killedAt = Date.now();
    await redis.kill('SIGKILL');
    const breakerOpenMs = await msUntil(() => cacheDegraded(a.url), killedAt, 10_000);
    log(`Redis killed; breaker open on A after ${breakerOpenMs} ms`);
    await sleep(1_000);
    const writtenAt = Date.now();
    await recordProbeOrder(a.url, storeId, stack.catalog.productIds[0], `${ledger.prefix}-probe`);
    // The writer reads its own write (L1 dropped, computed again); how long it takes is a figure too.
    const writerSeesMs = await msUntil(
      async () => (await storeRevenue(a.url, storeId, range)).orders > before.orders,
      writtenAt,
      5_000,
      50,
    );
    const fresh = await storeRevenue(a.url, storeId, range);
    const freshOnB = async () => (await storeRevenue(b.url, storeId, range)).orders === fresh.orders;
    const staleDuringOutageMs = await msUntil(freshOnB, writtenAt, Math.max(0, killedAt + DOWN_MS - Date.now()), 100);

    await sleep(Math.max(0, killedAt + DOWN_MS - Date.now()));
    await redis.restart();
    const backAt = Date.now();
    const staleAfterReturnMs = staleDuringOutageMs === null ? await msUntil(freshOnB, backAt, 30_000, 50) : 0;
    const l2BackMs = await msUntil(async () => !(await cacheDegraded(a.url)) && !(await cacheDegraded(b.url)), backAt, 30_000);
    log(
      `Redis back; L2 in use on both after ${l2BackMs} ms; B fresh ${staleDuringOutageMs !== null ? `${staleDuringOutageMs} ms after the write (during the outage)` : `${staleAfterReturnMs} ms after Redis returned`}`,
    );
    await sleep(short ? 3_000 : 5_000);
    const figures = await load.stop();
    const ledgerCheck = await ledger.verify(stack.pool);
    const unexpected = unexpectedFailures(load.outcomes);

    for (const [name, api] of [
      ['A', a],
      ['B', b],
    ] as const)
      verdict.require(api.entry.pid > 0 && !api.exitedEarly(), `API ${name} died: ${api.entry.stderr().slice(-1500)}`);
    verdict.require(
      writerSeesMs !== null && fresh.orders === before.orders + 1,
      `A did not count the order it recorded within 5 s (${before.orders} → ${fresh.orders})`,
    );
    verdict.require(Object.keys(unexpected).length === 0, `failed requests: ${describeUnexpected(load, unexpected, a.entry)}`);
    requireNothingLost(verdict, ledgerCheck);
    verdict.require(breakerOpenMs !== null, 'the breaker never opened');
    verdict.require(l2BackMs !== null && staleAfterReturnMs !== null, 'no recovery within 30 s after Redis returned');
    verdict.goal(breakerOpenMs !== null && breakerOpenMs <= 1_000, `breaker open ${breakerOpenMs} ms after the kill (goal ≤ 1 s)`);
    verdict.goal(l2BackMs !== null && l2BackMs <= 5_000, `L2 in use ${l2BackMs} ms after Redis returned (goal ≤ 5 s)`);
    verdict.goal(
      staleAfterReturnMs !== null && staleAfterReturnMs <= STALE_AFTER_RETURN_GOAL_MS,
      `B served the invalidated figure ${staleAfterReturnMs} ms after Redis returned (goal ≤ ${STALE_AFTER_RETURN_GOAL_MS} ms)`,
    );
    return {
      load: figures,
      ledger: ledgerCheck,
      recoverMs: recoveryMs(load, backAt),
      figures: {
        breakerOpenMs: breakerOpenMs ?? 'never',
        l2BackMs: l2BackMs ?? 'never',
        writerSeesWriteMs: writerSeesMs ?? 'never',
        staleOnBDuringOutageMs: staleDuringOutageMs ?? `>${DOWN_MS - (writtenAt - killedAt)}`,
        staleOnBAfterReturnMs: staleAfterReturnMs ?? 'never',
      },
      verdict,
    };
  },
};
