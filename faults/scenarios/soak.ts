import { adminGraphql } from '../api-client.js';
import { summarize } from '../load.js';
import { describeUnexpected, sentBetween, unexpectedFailures } from '../outcomes.js';
import { loadedApi, requireNothingLost } from '../scenario-kit.js';
import { Verdict, sleep, type Scenario } from '../scenario.js';
import { rssOf } from '../stack.js';

interface Sample {
  at: number;
  rssBytes: number;
  heapUsedBytes: number;
  /** What the L1 cache holds (bounded by CACHE_L1_MAX_BYTES): growth that is the cache filling, not a leak. */
  l1Bytes: number;
  activeResources: number;
  processListeners: number;
}

/**
 * The soak's L1 bound. A bounded cache filling up is growth by design, not a leak: at this
 * mix the default 64 MB takes longer than the soak to fill, so the soak bounds L1 at 8 MB,
 * which the misses fill within the two-minute warm-up, and what grows after it is a leak.
 */
const L1_BYTES = 8 * 1024 * 1024;
const PROCESS = '{ metrics { process { heapUsedBytes activeResources processListeners } cache { l1Bytes } } }';
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)}MB`;

/**
 * The mix for 10 minutes (`--short`: 90 s) on one API with Redis. After a two-minute
 * warm-up, RSS must grow less than 10 %, the event loop's handles and the process's
 * listeners must not grow (a leak), and the last minute's p99 must be within 20 % of
 * the first minute's.
 */
export const soak: Scenario = {
  name: 'soak',
  goal: '10 min of the mix: RSS after warm-up grows < 10 %; no handle or listener leak; p99 of the last minute within 20 % of the first',
  inShort: false,
  async run(stack, context) {
    const { short, log } = context;
    const verdict = new Verdict(short);
    const durationMs = short ? 90_000 : 600_000;
    const warmMs = short ? 20_000 : 120_000;
    const windowMs = short ? 20_000 : 60_000;
    const { api, ledger, load } = await loadedApi(stack, context, 'soak', { CACHE_L1_MAX_BYTES: String(L1_BYTES) });
    const samples: Sample[] = [];
    while (Date.now() - load.startedAt < durationMs) {
      await sleep(5_000);
      const { metrics } = await adminGraphql<{
        metrics: { process: Omit<Sample, 'at' | 'rssBytes' | 'l1Bytes'>; cache: { l1Bytes: number } };
      }>(api.url, PROCESS);
      const sample = {
        at: Date.now() - load.startedAt,
        rssBytes: rssOf(api.entry.pid) ?? 0,
        l1Bytes: metrics.cache.l1Bytes,
        ...metrics.process,
      };
      samples.push(sample);
      if (samples.length % 12 === 0)
        log(
          `${Math.round(sample.at / 1000)} s: RSS ${mb(sample.rssBytes)}, heap ${mb(sample.heapUsedBytes)}, L1 ${mb(sample.l1Bytes)}, ${sample.activeResources} active resources`,
        );
    }
    const figures = await load.stop();
    const ledgerCheck = await ledger.verify(stack.pool);

    const afterWarm = samples.filter((s) => s.at >= warmMs && s.at < warmMs + windowMs);
    const last = samples.filter((s) => s.at >= durationMs - windowMs);
    const rssStart = median(afterWarm.map((s) => s.rssBytes));
    const rssEnd = median(last.map((s) => s.rssBytes));
    const resourcesStart = median(afterWarm.map((s) => s.activeResources));
    const resourcesEnd = median(last.map((s) => s.activeResources));
    const listenersStart = afterWarm[0].processListeners;
    const listenersEnd = last.at(-1)!.processListeners;
    const firstWindow = summarize(sentBetween(load, load.startedAt + warmMs, load.startedAt + warmMs + windowMs));
    const lastWindow = summarize(sentBetween(load, load.startedAt + durationMs - windowMs, Infinity));
    const unexpected = unexpectedFailures(load.outcomes);
    const rssGrowth = (rssEnd - rssStart) / rssStart;

    verdict.require(Object.keys(unexpected).length === 0, `failed requests: ${describeUnexpected(load, unexpected, api.entry)}`);
    requireNothingLost(verdict, ledgerCheck);
    verdict.require(
      !/MaxListenersExceededWarning/.test(api.entry.stderr()),
      'the API warned of a listener leak (MaxListenersExceededWarning)',
    );
    verdict.require(listenersEnd <= listenersStart, `listeners on process grew from ${listenersStart} to ${listenersEnd}`);
    verdict.goal(
      rssGrowth < 0.1,
      `RSS grew ${(rssGrowth * 100).toFixed(1)} % after warm-up (${mb(rssStart)} → ${mb(rssEnd)}; goal < 10 %)`,
    );
    verdict.goal(resourcesEnd <= resourcesStart * 1.1 + 5, `active resources grew from ${resourcesStart} to ${resourcesEnd}`);
    verdict.goal(
      lastWindow.p99Ms <= firstWindow.p99Ms * 1.2,
      `p99 of the last ${windowMs / 1000} s ${lastWindow.p99Ms.toFixed(1)} ms against ${firstWindow.p99Ms.toFixed(1)} ms after warm-up (goal within 20 %)`,
    );
    return {
      load: figures,
      ledger: ledgerCheck,
      recoverMs: null,
      figures: {
        minutes: (durationMs / 60_000).toFixed(1),
        rss: `${mb(rssStart)}→${mb(rssEnd)}`,
        rssGrowthPct: (rssGrowth * 100).toFixed(1),
        l1: `${mb(median(afterWarm.map((x) => x.l1Bytes)))}→${mb(median(last.map((x) => x.l1Bytes)))}`,
        heap: `${mb(median(afterWarm.map((x) => x.heapUsedBytes)))}→${mb(median(last.map((x) => x.heapUsedBytes)))}`,
        activeResources: `${resourcesStart}→${resourcesEnd}`,
        processListeners: `${listenersStart}→${listenersEnd}`,
        p99FirstMs: firstWindow.p99Ms.toFixed(1),
        p99LastMs: lastWindow.p99Ms.toFixed(1),
      },
      verdict,
    };
  },
};
