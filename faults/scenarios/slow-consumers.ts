import { adminGraphql } from '../api-client.js';
import { harnessQueues } from '../scenario-kit.js';
import { Verdict, sleep, type Scenario } from '../scenario.js';
import { rssOf } from '../stack.js';
import { fastSubscriber, slowSubscriber } from '../ws-subscribers.js';

const EVENTS = 10_000;
const QUEUE = 'maintenance';
const QUERY = `subscription { jobEvents(queue: "${QUEUE}") { jobId type progress at } }`;
/** Subscriptions per slow socket: enough bytes to outgrow the kernel's loopback buffers (see slowSubscriber). */
const SLOW_SUBSCRIPTIONS = 10;
const RSS_GOAL_BYTES = 300 * 1024 * 1024;
const mb = (bytes: number) => `${Math.round(bytes / 1024 / 1024)}MB`;

/**
 * 200 graphql-ws subscribers of a queue's job events, 20 of which stop reading, while a
 * job reports progress 10,000 times. The slow sockets must be closed with a reason (4008,
 * "slow consumer: …") once they hold WS_MAX_BUFFERED_BYTES unsent, the others must get
 * every event in order, and the server's RSS must stay bounded. The progress comes from
 * here (a waiting job's updateProgress through the project's queue code), so its pace is
 * BullMQ's, not a worker's.
 */
export const slowConsumers: Scenario = {
  name: 'slow-consumers',
  goal: `200 jobEvents subscribers, 20 stop reading, ${EVENTS} events: slow sockets closed with 4008 and a reason; every other subscriber gets every event in order; API RSS < 300 MB`,
  inShort: true,
  async run(stack, { short, log }) {
    const verdict = new Verdict(short);
    const fastCount = short ? 30 : 180;
    const slowCount = short ? 5 : 20;
    const redis = await stack.startRedis();
    const api = await stack.startApi({ REDIS_URL: redis.url, WORKERS: 'none' });
    const { queues, close: closeQueues } = await harnessQueues(stack, redis.url, log);
    const fast = Array.from({ length: fastCount }, () => fastSubscriber(api.url, QUERY));
    try {
      await queues.queue(QUEUE).pause(); // nobody runs it: only its progress reports move
      const job = await queues.enqueue('probe', {}, { dedupe: false });
      const bull = (await queues.queue(QUEUE).getJob(job.id))!;
      const slow = await Promise.all(Array.from({ length: slowCount }, () => slowSubscriber(api.url, QUERY, SLOW_SUBSCRIPTIONS)));
      // Every fast client acknowledged and subscribed: one event reaches them all.
      await bull.updateProgress(0);
      const deadline = Date.now() + 30_000;
      while (fast.some((f) => f.seen < 1) && Date.now() < deadline) await sleep(50);
      for (const s of slow) s.pause();
      for (const f of fast) {
        f.outOfOrder = 0;
        f.firstDisorder = null;
      }

      let rssPeak = rssOf(api.entry.pid) ?? 0;
      const rssBefore = rssPeak;
      const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, rssOf(api.entry.pid) ?? 0)), 100);
      const started = Date.now();
      let lastCount = 0;
      // The API is busy delivering: a probe that times out is asked again next time.
      const serverCloses = async () => {
        try {
          const data = await adminGraphql<{ metrics: { http: { wsSlowConsumerCloses: number } } }>(
            api.url,
            '{ metrics { http { wsSlowConsumerCloses } } }',
            {},
            15_000,
          );
          lastCount = data.metrics.http.wsSlowConsumerCloses;
        } catch (error) {
          log(`metrics probe: ${error instanceof Error ? error.message : String(error)}`);
        }
        return lastCount;
      };
      // The server's close lines, as it writes them (each names the client's port).
      const closeLines = () =>
        api.entry
          .stdout()
          .split('\n')
          .filter((line) => line.includes('WebSocket closed: its client reads too slowly'))
          .map((line) => JSON.parse(line) as { code: number; reason: string; remotePort: number });
      // A slow client reads again as soon as the server closed it: the close frame waits behind
      // its backlog, and ws gives a peer 30 s to take it before cutting the socket.
      const resumeClosed = () => {
        const closedPorts = new Set(closeLines().map((l) => l.remotePort));
        for (const s of slow) if (closedPorts.has(s.localPort)) s.resume();
      };
      try {
        // In order: BullMQ sends each update as one script call on one connection.
        for (let i = 1; i <= EVENTS; i += 100) {
          await Promise.all(Array.from({ length: 100 }, (_, k) => bull.updateProgress((i + k) / EVENTS)));
          resumeClosed();
        }
        const deliveryDeadline = Date.now() + (short ? 120_000 : 300_000);
        while (fast.some((f) => f.count < EVENTS && f.errors.length === 0) && Date.now() < deliveryDeadline) {
          await sleep(250);
          resumeClosed();
        }
      } finally {
        clearInterval(sampler);
      }
      const deliveredMs = Date.now() - started;
      for (const s of slow) s.resume();
      const closes = await Promise.all(slow.map((s) => Promise.race([s.closed, sleep(35_000).then(() => null)])));
      const closedByServer = await serverCloses();
      log(
        `${EVENTS} events to ${fastCount} fast subscribers in ${deliveredMs} ms; ${slowCount} slow sockets: ${closes.map((c) => (c ? c.code : 'open')).join(',')}`,
      );

      const complete = fast.filter((f) => f.count === EVENTS && f.outOfOrder === 0 && f.errors.length === 0).length;
      const closedWithReason = closeLines().filter((l) => l.code === 4008 && l.reason.startsWith('slow consumer')).length;
      const seenByClient = closes.filter((c) => c?.code === 4008 && c.reason.startsWith('slow consumer')).length;
      verdict.require(
        complete === fastCount,
        `${fastCount - complete} fast subscribers missed events or got them out of order (counts ${[...new Set(fast.map((f) => f.count))].join(',')}; disorder ${fast.find((f) => f.firstDisorder)?.firstDisorder ?? 'none'}; errors ${fast
          .flatMap((f) => f.errors)
          .slice(0, 2)
          .join(' | ')})`,
      );
      verdict.require(
        closedByServer === slowCount && closedWithReason === slowCount,
        `the server closed ${closedByServer} of ${slowCount} slow sockets (${closedWithReason} logged with 4008 "slow consumer…")`,
      );
      verdict.require(
        closes.every((c) => c !== null),
        `slow sockets still open at the end: ${closes.filter((c) => c === null).length}`,
      );
      verdict.require(api.entry.pid > 0 && !api.exitedEarly(), 'the API died');
      verdict.goal(rssPeak < RSS_GOAL_BYTES, `API RSS peaked at ${mb(rssPeak)} (goal < 300 MB)`);
      return {
        load: null,
        ledger: null,
        recoverMs: null,
        figures: {
          subscribers: fastCount + slowCount,
          events: EVENTS,
          deliveredMs,
          slowClosed: `${closedWithReason}/${slowCount}`,
          reasonSeenByClient: `${seenByClient}/${slowCount}`,
          reason: closeLines()[0]?.reason.replace(/\s+/g, '_') ?? 'none',
          rss: `${mb(rssBefore)}→peak ${mb(rssPeak)}`,
        },
        verdict,
      };
    } finally {
      for (const f of fast) void f.client.dispose();
      await closeQueues();
    }
  },
};
