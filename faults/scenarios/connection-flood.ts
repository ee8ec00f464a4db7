import { connect, type Socket } from 'node:net';
import { summarize } from '../load.js';
import { describeUnexpected, sentBetween, unexpectedFailures } from '../outcomes.js';
import { loadedApi, requireNothingLost } from '../scenario-kit.js';
import { Verdict, sleep, type Scenario } from '../scenario.js';

const IDLE_CONNECTIONS = 2_000;
/** HTTP_HEADERS_TIMEOUT_MS of the API under test (short, so the scenario sees the flood drain). */
const HEADERS_TIMEOUT_MS = 10_000;
const WINDOW_MS = 8_000;

/** Opens `count` TCP connections that never send a byte; resolves once all are connected. */
async function openIdle(port: number, count: number): Promise<{ sockets: Socket[]; closedByServer: () => number; openMs: number[] }> {
  const sockets: Socket[] = [];
  /** How long each socket the server closed had been open. */
  const openMs: number[] = [];
  for (let batch = 0; batch < count; batch += 200) {
    const opened = Array.from(
      { length: Math.min(200, count - batch) },
      () =>
        new Promise<Socket>((resolve, reject) => {
          const socket = connect({ port, host: '127.0.0.1' });
          let connectedAt = 0;
          socket.once('connect', () => {
            connectedAt = Date.now();
            resolve(socket);
          });
          socket.once('error', reject);
          socket.on('data', () => undefined); // the 408 the server sends before closing
          socket.once('close', () => openMs.push(Date.now() - connectedAt));
        }),
    );
    sockets.push(...(await Promise.all(opened)));
  }
  return { sockets, closedByServer: () => openMs.length, openMs };
}

/**
 * 2,000 idle TCP connections (connected, never a byte) on the API's port, then the usual
 * load beside them. Requests must still be served with a p99 within 2× the figure without
 * the flood, and the server must close the idle connections itself at its headers timeout.
 */
export const connectionFlood: Scenario = {
  name: 'connection-flood',
  goal: `${IDLE_CONNECTIONS} idle TCP connections, then the load: no failures; p99 within 2× the figure without them; the server closes them at HTTP_HEADERS_TIMEOUT_MS`,
  inShort: true,
  async run(stack, context) {
    const { short, log } = context;
    const verdict = new Verdict(short);
    const { api, ledger, load } = await loadedApi(stack, context, 'cf', { HTTP_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS) });
    const quietFrom = Date.now();
    await sleep(WINDOW_MS);
    const floodAt = Date.now();
    const flood = await openIdle(api.port, IDLE_CONNECTIONS);
    log(`${flood.sockets.length} idle connections open in ${Date.now() - floodAt} ms`);
    const floodedFrom = Date.now();
    await sleep(Math.min(WINDOW_MS, HEADERS_TIMEOUT_MS - (floodedFrom - floodAt) - 500));
    const floodedTo = Date.now();
    // The server closes them at its headers timeout (checked every second).
    const drainDeadline = floodAt + HEADERS_TIMEOUT_MS + (short ? 20_000 : 2_000) + 1_000;
    while (flood.closedByServer() < flood.sockets.length && Date.now() < drainDeadline) await sleep(100);
    const figures = await load.stop();
    for (const socket of flood.sockets) socket.destroy();
    const ledgerCheck = await ledger.verify(stack.pool);

    const quiet = summarize(sentBetween(load, quietFrom, floodAt));
    const flooded = summarize(sentBetween(load, floodedFrom, floodedTo));
    const closed = flood.openMs.length;
    const longestOpenMs = closed ? Math.max(...flood.openMs) : null;
    const unexpected = unexpectedFailures(load.outcomes);
    // A p99 of a few ms doubles on a scheduler hiccup: the bound is never below 10 ms.
    const bound = Math.max(2 * quiet.p99Ms, 10);
    verdict.require(Object.keys(unexpected).length === 0, `failed requests: ${describeUnexpected(load, unexpected, api.entry)}`);
    requireNothingLost(verdict, ledgerCheck);
    verdict.require(
      closed === flood.sockets.length,
      `the server closed ${closed} of ${flood.sockets.length} idle connections by ${drainDeadline - floodAt} ms`,
    );
    verdict.goal(
      flooded.p99Ms <= bound,
      `p99 with the flood ${flooded.p99Ms.toFixed(1)} ms against ${quiet.p99Ms.toFixed(1)} ms without (goal ≤ 2×)`,
    );
    verdict.goal(
      longestOpenMs !== null && longestOpenMs <= HEADERS_TIMEOUT_MS + 2_000,
      `an idle connection stayed open ${longestOpenMs} ms (headers timeout ${HEADERS_TIMEOUT_MS} ms; goal within 2 s of it)`,
    );
    return {
      load: figures,
      ledger: ledgerCheck,
      recoverMs: null,
      figures: {
        idle: flood.sockets.length,
        p99QuietMs: quiet.p99Ms.toFixed(1),
        p99FloodedMs: flooded.p99Ms.toFixed(1),
        closedByServer: `${closed}/${flood.sockets.length}`,
        longestOpenMs: longestOpenMs ?? 'never',
      },
      verdict,
    };
  },
};
