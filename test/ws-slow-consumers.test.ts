import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Client } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { WS_SLOW_CONSUMER_CODE } from '../src/http/graphql-ws.js';
import type { JobEventView } from '../src/jobs/job-event.js';
import { captureLog, type CapturedLog } from './helpers/captured-log.js';
import { TEST_ADMIN_KEY } from './helpers/constants.js';
import { dataOf } from './helpers/graphql-client.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';
import { waitFor } from './helpers/wait-for.js';
import { wsUrlOf, type WsClosed, type WsConnection } from './helpers/ws-client.js';
import { BACKENDS, connect, jobsEnv, uniquePrefix } from './jobs-helpers.js';

/**
 * Slow consumers of jobEvents against a listening server, with real BullMQ events: one job
 * reports progress EVENTS times while fast subscribers and paused ones (their client
 * stopped reading its socket, so the TCP window fills) watch its queue. The paused ones
 * are closed with 4008 and a reason saying how much was unsent, logged and counted, and
 * their subscriptions end at once; the fast ones get every event, in order; memory stays
 * bounded. A subscriber whose event queue overflows and one that answers no ping are
 * closed with the same code.
 */

const EVENTS = 10_000;
const FAST = 8;
const SLOW = 4;
/**
 * Subscriptions on each slow socket. The kernel takes about 4 MB of a loopback socket whose
 * peer does not read before ws queues a byte (bytes bufferedAmount never sees); several
 * subscriptions fill that within a fraction of EVENTS.
 */
const SLOW_SUBSCRIPTIONS = 10;
const MAX_BUFFERED = 256 * 1024;
const QUEUE = 'maintenance';
const FIELDS = 'jobId queue kind type progress failedReason attempt at delayMs result';
const subscriptionTo = (queue: string) => `subscription { jobEvents(queue: "${queue}") { ${FIELDS} } }`;
const CLOSE_WARNING = 'WebSocket closed: its client reads too slowly';

/**
 * Redis when there is one (CI always has it). BullMQ's Postgres backend moves about 150
 * progress events a second here, so the EVENTS run is skipped without Redis; the others
 * run on either.
 */
const backend = BACKENDS.includes('redis') ? 'redis' : 'postgres';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const MB = 2 ** 20;
/** Heap and off-heap (Buffers) after a full collection: what the process really holds. */
const heldMb = () => {
  gc();
  const { heapUsed, external } = process.memoryUsage();
  return (heapUsed + external) / MB;
};

let server: TestServer;
let log: CapturedLog;
const hub = () => server.app.services.jobs!.events;
const queues = () => server.app.services.jobs!.queues;
const slowCloses = () => server.app.services.metrics!.http.snapshot().wsSlowConsumerCloses;

beforeAll(async () => {
  log = captureLog();
  server = await startTestServer({
    env: jobsEnv(backend, uniquePrefix('slow'), { WORKERS: 'none', WS_MAX_BUFFERED_BYTES: String(MAX_BUFFERED) }),
    logger: log.logger,
  });
});
afterAll(async () => {
  await server?.stop();
});

/** A raw graphql-transport-ws client whose socket can stop being read (pause) while the server keeps sending. */
interface RawSubscriber {
  closed: Promise<WsClosed>;
  /** `next` messages read so far. */
  received(): number;
  pause(): void;
  resume(): void;
}

async function rawSubscriber(target: TestServer, query: string, subscriptions = 1): Promise<RawSubscriber> {
  const socket = new WebSocket(wsUrlOf(target), 'graphql-transport-ws');
  const closed = new Promise<WsClosed>((resolve) => socket.once('close', (code, reason) => resolve({ code, reason: String(reason) })));
  let received = 0;
  let acked!: () => void;
  const ack = new Promise<void>((resolve) => (acked = resolve));
  socket.on('message', (data) => {
    const message = JSON.parse(String(data)) as { type: string };
    if (message.type === 'connection_ack') acked();
    if (message.type === 'next') received += 1;
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${TEST_ADMIN_KEY}` } }));
  await ack;
  for (let id = 1; id <= subscriptions; id += 1) socket.send(JSON.stringify({ id: String(id), type: 'subscribe', payload: { query } }));
  // ws keeps its net.Socket private; pausing it is what a client that stops reading does.
  const tcp = (socket as unknown as { _socket: { pause(): void; resume(): void } })._socket;
  return { closed, received: () => received, pause: () => tcp.pause(), resume: () => tcp.resume() };
}

/** A graphql-ws subscriber that checks the order as events come and keeps only counts (the test's heap is the server's too). */
interface FastSubscriber {
  count: number;
  outOfOrder: number;
  lastProgress: number;
  errors: unknown[];
}

function fastSubscriber(client: Client, query: string): FastSubscriber {
  const state: FastSubscriber = { count: 0, outOfOrder: 0, lastProgress: -1, errors: [] };
  client.subscribe<{ jobEvents: { progress: number | null } }>(
    { query },
    {
      next: (result) => {
        if (result.errors) state.errors.push(...result.errors);
        const progress = result.data?.jobEvents.progress ?? -1;
        if (progress <= state.lastProgress) state.outOfOrder += 1;
        state.lastProgress = progress;
        state.count += 1;
      },
      error: (error) => state.errors.push(error),
      complete: () => {},
    },
  );
  return state;
}

describe('slow consumers of jobEvents', () => {
  it.skipIf(backend !== 'redis')(
    `${SLOW} paused sockets are closed with 4008 while ${FAST} others get all ${EVENTS} events in order`,
    async () => {
      await queues().queue(QUEUE).pause();
      const job = await queues().enqueue('probe', {}, { dedupe: false });
      const bull = (await queues().queue(QUEUE).getJob(job.id))!;

      const connections: WsConnection[] = Array.from({ length: FAST }, () => connect(server));
      await Promise.all(connections.map((c) => c.connected));
      const fast = connections.map((c) => fastSubscriber(c.client, subscriptionTo(QUEUE)));
      const slow = await Promise.all(Array.from({ length: SLOW }, () => rawSubscriber(server, subscriptionTo(QUEUE), SLOW_SUBSCRIPTIONS)));
      try {
        await waitFor(() => hub().subscribers({ queue: QUEUE, jobId: null }) === FAST + SLOW * SLOW_SUBSCRIPTIONS, {
          what: 'every subscription registered',
        });
        for (const s of slow) s.pause();

        const heldBefore = heldMb();
        const rssBefore = process.memoryUsage().rss / MB;
        let rssPeak = rssBefore;
        const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss / MB)), 20);
        const started = Date.now();
        try {
          // In order: BullMQ sends each update as one script call on one connection.
          for (let i = 1; i <= EVENTS; i += 100) {
            await Promise.all(Array.from({ length: 100 }, (_, k) => bull.updateProgress((i + k) / EVENTS)));
          }
          await waitFor(() => fast.every((f) => f.count >= EVENTS || f.errors.length > 0), {
            timeoutMs: 45_000,
            what: () => `every fast subscriber to get ${EVENTS} events (counts ${fast.map((f) => f.count).join(', ')})`,
          });
        } finally {
          clearInterval(sampler);
        }
        const tookMs = Date.now() - started;
        // Measured while the closed slow sockets still hold their unsent bytes (they read nothing yet).
        const heldAfter = heldMb();
        // Their subscriptions ended with the close, not when (if ever) the client answers it.
        expect(hub().subscribers({ queue: QUEUE, jobId: null })).toBe(FAST);

        for (const s of slow) s.resume();
        const closes = await Promise.all(slow.map((s) => s.closed));
        const warnings = log.lines.filter((l) => l.msg === CLOSE_WARNING);
        console.log(
          `slow consumers (${backend}): ${EVENTS} progress events to ${FAST} fast subscribers in ${tookMs} ms; ` +
            `held ${heldBefore.toFixed(1)} → ${heldAfter.toFixed(1)} MB after GC (Δ ${(heldAfter - heldBefore).toFixed(1)}), ` +
            `RSS ${rssBefore.toFixed(0)} MB, peak ${rssPeak.toFixed(0)} MB (Δ ${(rssPeak - rssBefore).toFixed(0)}); ` +
            `slow sockets read ${slow.map((s) => s.received()).join(', ')} messages (of ${EVENTS * SLOW_SUBSCRIPTIONS}) before 4008; ` +
            `unsent at close: ${warnings.map((w) => w.unsentBytes).join(', ')} bytes`,
        );

        for (const f of fast) {
          expect(f.errors).toEqual([]);
          expect(f.count).toBe(EVENTS);
          expect(f.outOfOrder).toBe(0);
          expect(f.lastProgress).toBe(1);
        }
        for (const close of closes) {
          expect(close.code).toBe(WS_SLOW_CONSUMER_CODE);
          expect(close.reason).toMatch(new RegExp(`^slow consumer: \\d+ bytes unsent \\(limit ${MAX_BUFFERED}\\)$`));
        }
        // Cut off well before the end: what they got is what the kernel and the cap held.
        for (const s of slow) expect(s.received()).toBeLessThan(EVENTS * SLOW_SUBSCRIPTIONS);
        expect(slowCloses()).toBe(SLOW);
        expect(warnings).toHaveLength(SLOW);
        for (const warning of warnings) {
          expect(warning).toMatchObject({ level: 40, code: 4008, kind: 'unsent', limitBytes: MAX_BUFFERED, keyId: expect.any(Number) });
          // Over the cap by less than one message: nothing is queued past it.
          expect(warning.unsentBytes).toBeGreaterThan(MAX_BUFFERED);
          expect(warning.unsentBytes).toBeLessThan(MAX_BUFFERED + 4096);
        }
        // Generous (the fast clients live in this process too); unbounded, the slow sockets alone would hold ~100 MB.
        expect(heldAfter - heldBefore).toBeLessThan(32);
        expect(rssPeak - rssBefore).toBeLessThan(512);

        const metrics = await server.request(`{ metrics { http { wsSlowConsumerCloses } } }`);
        expect(dataOf(metrics).metrics.http.wsSlowConsumerCloses).toBe(SLOW);
      } finally {
        for (const s of slow) s.resume();
        await Promise.all(connections.map(async (c) => c.client.dispose()));
        await queues().queue(QUEUE).resume();
      }
    },
  );

  it('a subscriber more than 10,000 events behind its source is closed with 4008; others are not', async () => {
    const before = slowCloses();
    const behind = connect(server);
    const other = connect(server);
    await Promise.all([behind.connected, other.connected]);
    const otherEvents = fastSubscriber(other.client, subscriptionTo(QUEUE));
    fastSubscriber(behind.client, subscriptionTo('reports'));
    await waitFor(
      () => hub().subscribers({ queue: 'reports', jobId: null }) === 1 && hub().subscribers({ queue: QUEUE, jobId: null }) === 1,
    );

    // More events than a stream keeps, fanned out in one turn of the event loop (as nothing
    // else can make a subscriber fall that far behind without stalling the process):
    // through the hub's own fan-out, which QueueEvents feeds.
    const fanOut = hub() as unknown as { deliver(queue: string, event: JobEventView): void };
    const burst = 10_100;
    for (let i = 1; i <= burst; i += 1) {
      fanOut.deliver('reports', {
        jobId: 'burst',
        queue: 'reports',
        kind: 'generateReport',
        type: 'PROGRESS',
        progress: i / burst,
        failedReason: null,
        attempt: 1,
        at: new Date(),
        delayMs: null,
        result: null,
      });
    }
    expect(await behind.closed).toEqual({ code: WS_SLOW_CONSUMER_CODE, reason: 'slow consumer: more than 10000 events queued' });
    expect(hub().subscribers({ queue: 'reports', jobId: null })).toBe(0);
    expect(slowCloses()).toBe(before + 1);
    expect(log.lines.filter((l) => l.msg === CLOSE_WARNING).at(-1)).toMatchObject({ queuedEvents: 10_000, code: 4008 });

    // The other socket, on another queue, is untouched and still served.
    const bull = (await queues()
      .queue(QUEUE)
      .getJob((await queues().enqueue('probe', {}, { dedupe: false })).id))!;
    await bull.updateProgress(0.5);
    await waitFor(() => otherEvents.count > 0, { what: 'the other subscriber to get its event' });
    expect(otherEvents.errors).toEqual([]);
    await Promise.all([behind, other].map(async (c) => c.client.dispose()));
  });

  it('a socket that answers no ping for WS_KEEP_ALIVE_MS is closed with 4008; one that reads stays; neither holds up a stop', async () => {
    const pongLog = captureLog();
    const quiet = await startTestServer({
      env: jobsEnv(backend, uniquePrefix('pong'), { WORKERS: 'none', WS_KEEP_ALIVE_MS: '1000' }),
      logger: pongLog.logger,
    });
    let stopped = false;
    try {
      const paused = await rawSubscriber(quiet, subscriptionTo(QUEUE));
      const reading = await rawSubscriber(quiet, subscriptionTo(QUEUE));
      paused.pause();
      const closedAt = Date.now();
      await waitFor(() => pongLog.lines.some((l) => l.msg === CLOSE_WARNING), { what: 'the paused socket to be closed' });
      const waited = Date.now() - closedAt;
      // One ping interval to send it, one to find it unanswered.
      expect(waited).toBeLessThan(3_500);
      expect(pongLog.lines.find((l) => l.msg === CLOSE_WARNING)).toMatchObject({ kind: 'no-pong', waitedMs: 1000, code: 4008 });
      paused.resume();
      expect(await paused.closed).toEqual({ code: WS_SLOW_CONSUMER_CODE, reason: 'slow consumer: no pong within 1000 ms' });
      // Several more intervals: the socket that reads answers every ping.
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      expect(pongLog.lines.filter((l) => l.msg === CLOSE_WARNING)).toHaveLength(1);
      expect(quiet.app.services.jobs!.events.subscribers({ queue: QUEUE, jobId: null })).toBe(1);
      expect(reading.received()).toBe(0);

      // A client that stops reading during shutdown never answers the 1001 close: it is dropped, not waited for (ws: 30 s).
      reading.pause();
      const stopping = Date.now();
      await quiet.stop();
      stopped = true;
      const stopMs = Date.now() - stopping;
      console.log(`stop with a paused WebSocket: ${stopMs} ms`);
      expect(stopMs).toBeLessThan(8_000);
      // The close frame reached the kernel before the connection was dropped: the client still learns why.
      reading.resume();
      expect(await reading.closed).toEqual({ code: 1001, reason: 'Going away' });
    } finally {
      if (!stopped) await quiet.stop();
    }
  });
});
