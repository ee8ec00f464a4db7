import { Agent, request } from 'node:http';
import * as hdr from 'hdr-histogram-js';

/**
 * Open-loop load at a fixed rate: a request is sent every 1/rate seconds whatever the
 * server does, so a stall shows as latency and failures instead of a lower send rate (a
 * closed-loop tool such as autocannon waits for answers before sending more and hides
 * exactly the stalls a fault scenario looks for). Each request's outcome is kept: its
 * operation, when it was sent, how long it took, and `ok` or why not (the GraphQL
 * `extensions.code`, the HTTP status, or the socket error).
 */

export interface LoadRequest {
  /** Operation kind, for the per-kind counts (`read`, `miss`, `order`, `ingest`…). */
  kind: string;
  body: unknown;
  /** Called with the parsed body of a 200 without errors (the ledger of accepted writes). */
  onAccepted?: (data: unknown) => void;
}

export interface LoadPlan {
  /** One API, or several taken in turn (instances behind no load balancer). */
  url: string | readonly string[];
  apiKey: string;
  ratePerSec: number;
  /** Next request to send; `seq` counts from 0. */
  next: (seq: number) => LoadRequest;
  /** A request unanswered after this long counts as `TIMEOUT` (default 15 s). */
  timeoutMs?: number;
  /** Requests in flight beyond this are not sent but counted as `CLIENT_SATURATED` (default 512). */
  maxInFlight?: number;
  /** Response headers kept on each outcome (lower case), e.g. `x-instance-id` behind a load balancer. */
  recordHeaders?: readonly string[];
}

export interface RequestOutcome {
  kind: string;
  /** ms since the load started. */
  sentAt: number;
  latencyMs: number;
  outcome: string;
  /** The plan's `recordHeaders` the answer carried (none when no answer came). */
  headers?: Record<string, string>;
}

export interface LoadFigures {
  sent: number;
  ok: number;
  /** Failure outcome → count. */
  errors: Record<string, number>;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  outcomes: RequestOutcome[];
}

const OK = 'ok';

/** One request; resolves with its outcome, never rejects. */
/** The first answer body seen per failure outcome (trimmed): what a failed check shows. */
export type FailureSamples = Map<string, string>;

function send(
  agent: Agent,
  url: string,
  plan: LoadPlan,
  item: LoadRequest,
  timeoutMs: number,
  samples: FailureSamples,
  headers: Record<string, string>,
): Promise<string> {
  const payload = JSON.stringify(item.body);
  const target = new URL(url);
  return new Promise((resolve) => {
    let settled = false;
    const settle = (outcome: string) => {
      if (settled) return;
      settled = true;
      resolve(outcome);
    };
    const req = request(
      {
        agent,
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(payload),
          authorization: `Bearer ${plan.apiKey}`,
        },
        timeout: timeoutMs,
      },
      (res) => {
        for (const name of plan.recordHeaders ?? []) {
          const value = res.headers[name];
          if (typeof value === 'string') headers[name] = value;
        }
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', (error: NodeJS.ErrnoException) => settle(error.code ?? 'RESPONSE_ERROR'));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const outcome = outcomeOf(res.statusCode ?? 0, text, item);
          if (outcome !== OK && !samples.has(outcome))
            samples.set(outcome, `${(item.body as { query?: string }).query?.slice(0, 40)}… → ${text.slice(0, 500)}`);
          settle(outcome);
        });
      },
    );
    req.on('timeout', () => {
      req.destroy();
      settle('TIMEOUT');
    });
    req.on('error', (error: NodeJS.ErrnoException) => settle(error.code ?? 'REQUEST_ERROR'));
    req.end(payload);
  });
}

interface GraphqlAnswer {
  data?: unknown;
  errors?: Array<{ extensions?: { code?: string } }>;
}

function outcomeOf(status: number, text: string, item: LoadRequest): string {
  let answer: GraphqlAnswer;
  try {
    answer = JSON.parse(text) as GraphqlAnswer;
  } catch {
    return `HTTP_${status}_NOT_JSON`;
  }
  if (answer.errors?.length) return answer.errors[0].extensions?.code ?? `HTTP_${status}_NO_CODE`;
  if (status !== 200) return `HTTP_${status}`;
  item.onAccepted?.(answer.data);
  return OK;
}

/** A running load: `stop()` stops sending and resolves once every request in flight has ended. */
export interface RunningLoad {
  /** Outcomes so far (also while running: scenarios watch recovery with it). */
  readonly outcomes: readonly RequestOutcome[];
  readonly startedAt: number;
  readonly failureSamples: FailureSamples;
  stop(): Promise<LoadFigures>;
}

/**
 * Load that is already steady: runs the plan unmeasured until two consecutive seconds
 * pass with no failure and a p99 under `p99Ms` (JIT warm, pools full, first statements
 * planned; at most `maxWarmMs`), then starts the measured load. Throws when the system
 * never settles: a fault scenario on an overloaded base measures nothing.
 */
export async function startSteadyLoad(plan: LoadPlan, { p99Ms = 250, maxWarmMs = 30_000 } = {}): Promise<RunningLoad> {
  const warm = startLoad(plan);
  const started = Date.now();
  let clean = 0;
  let checkedSecond = 0;
  while (clean < 2) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    // A second at least 2 s old: every request of it has answered, or has taken over 1 s.
    const second = Math.floor((Date.now() - started) / 1000) - 2;
    if (second < checkedSecond) continue;
    checkedSecond = second + 1;
    const bucket = warm.outcomes.filter((o) => Math.floor(o.sentAt / 1000) === second);
    const latencies = bucket.map((o) => o.latencyMs).sort((a, b) => a - b);
    const p99 = latencies[Math.floor(latencies.length * 0.99)] ?? Infinity;
    const allAnswered = bucket.length >= plan.ratePerSec - 1;
    clean = allAnswered && bucket.every((o) => o.outcome === OK) && p99 < p99Ms ? clean + 1 : 0;
    if (Date.now() - started > maxWarmMs) {
      const figures = await warm.stop();
      const samples = [...warm.failureSamples.entries()].map(([code, body]) => `${code}: ${body}`).join('\n');
      throw new Error(
        `the load never settled in ${maxWarmMs} ms (last second: p99 ${Math.round(p99)} ms, errors ${JSON.stringify(figures.errors)}): lower --rate\n${samples}`,
      );
    }
  }
  await warm.stop();
  return startLoad(plan);
}

export function startLoad(plan: LoadPlan): RunningLoad {
  const timeoutMs = plan.timeoutMs ?? 15_000;
  const maxInFlight = plan.maxInFlight ?? 512;
  // An idle socket is dropped after 4 s, before the server's keep-alive timeout (5 s) closes
  // it: Node's agent ignores the server's `Keep-Alive: timeout=5`, and a request sent on a
  // socket in the instant the server closes it is reset (the soak saw one in 90,000).
  const agent = new Agent({ keepAlive: true, maxSockets: maxInFlight, timeout: 4_000 });
  const outcomes: RequestOutcome[] = [];
  const failureSamples: FailureSamples = new Map();
  const inFlight = new Set<Promise<void>>();
  const startedAt = performance.now();
  const urls = typeof plan.url === 'string' ? [plan.url] : plan.url;
  let seq = 0;

  const tick = () => {
    const due = Math.floor(((performance.now() - startedAt) / 1000) * plan.ratePerSec);
    while (seq < due) {
      const item = plan.next(seq);
      seq += 1;
      const sentAt = performance.now() - startedAt;
      if (inFlight.size >= maxInFlight) {
        outcomes.push({ kind: item.kind, sentAt, latencyMs: 0, outcome: 'CLIENT_SATURATED' });
        continue;
      }
      const headers: Record<string, string> = {};
      const done = send(agent, urls[seq % urls.length], plan, item, timeoutMs, failureSamples, headers).then((outcome) => {
        const latencyMs = performance.now() - startedAt - sentAt;
        outcomes.push({ kind: item.kind, sentAt, latencyMs, outcome, ...(plan.recordHeaders ? { headers } : {}) });
        inFlight.delete(done);
      });
      inFlight.add(done);
    }
  };
  const timer = setInterval(tick, 5);

  return {
    outcomes,
    failureSamples,
    startedAt: Date.now(),
    async stop() {
      clearInterval(timer);
      while (inFlight.size) await Promise.all([...inFlight]);
      agent.destroy();
      return summarize(outcomes);
    },
  };
}

export function summarize(outcomes: readonly RequestOutcome[]): LoadFigures {
  const histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 120_000_000, numberOfSignificantValueDigits: 3 });
  const errors: Record<string, number> = {};
  let ok = 0;
  let maxMs = 0;
  for (const o of outcomes) {
    if (o.outcome === OK) ok += 1;
    else errors[o.outcome] = (errors[o.outcome] ?? 0) + 1;
    if (o.outcome !== 'CLIENT_SATURATED') {
      histogram.recordValue(Math.max(1, Math.round(o.latencyMs * 1000)));
      maxMs = Math.max(maxMs, o.latencyMs);
    }
  }
  const figures: LoadFigures = {
    sent: outcomes.length,
    ok,
    errors,
    p50Ms: histogram.getValueAtPercentile(50) / 1000,
    p99Ms: histogram.getValueAtPercentile(99) / 1000,
    maxMs,
    outcomes: [...outcomes],
  };
  histogram.destroy();
  return figures;
}
