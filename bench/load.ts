import autocannon from 'autocannon';
import { nextBody, type Scenario } from './scenarios.js';

export interface LoadTarget {
  url: string;
  headers: Record<string, string>;
}

export interface LoadFigures {
  requestsPerSec: number;
  requests: number;
  latencyMs: { mean: number; p50: number; p90: number; p99: number; max: number };
  throughputBytesPerSec: number;
  non2xx: number;
  /** Connection errors and timeouts seen by autocannon. */
  errors: number;
  timeouts: number;
  /** Responses whose body carried a top-level `"errors":` (GraphQL errors with a 2xx status). */
  graphqlErrors: number;
  /** The first offending body, trimmed: what to look at when a scenario is flagged. */
  errorSample: string | null;
  /** Responses answered wholly from the cache (`"misses":0` in extensions.cache), when the scenario counts hits. */
  cacheHits: number | null;
  /** Connections this scenario used. */
  connections: number;
}

const ERRORS_KEY = '"errors":';
/** extensions.cache of a response every cached field of which hit (hot-path bodies say the same). */
const FULL_HIT = '"misses":0';
let current: autocannon.Instance | null = null;
let halted = false;

/** Ends the autocannon run in progress, if any, and refuses new ones (SIGINT). */
export function stopCurrentLoad(): void {
  halted = true;
  current?.stop();
}

/**
 * One request of the scenario (the first five of a generator) outside the load: a 2xx,
 * JSON with data and no `errors`. Returns what was wrong, or null.
 */
export async function precheck(target: LoadTarget, scenario: Scenario): Promise<string | null> {
  const samples = typeof scenario.body === 'function' ? 5 : 1;
  for (let i = 0; i < samples; i += 1) {
    const body = nextBody(scenario);
    let text = '';
    try {
      const response = await fetch(target.url, {
        method: 'POST',
        headers: target.headers,
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(30_000),
      });
      text = await response.text();
      const parsed = JSON.parse(text) as { data?: unknown; errors?: unknown[] };
      if (!response.ok) return `HTTP ${response.status}: ${text.slice(0, 500)}`;
      if (parsed.errors?.length) return `GraphQL errors: ${JSON.stringify(parsed.errors).slice(0, 500)}`;
      if (parsed.data === null || parsed.data === undefined) return `no data: ${text.slice(0, 500)}`;
    } catch (error) {
      return `request failed: ${error instanceof Error ? error.message : String(error)}${text ? ` (body ${text.slice(0, 300)})` : ''}`;
    }
  }
  return null;
}

function run(options: autocannon.Options): Promise<autocannon.Result> {
  if (halted) return Promise.reject(new Error('load stopped'));
  return new Promise((resolve, reject) => {
    current = autocannon(options, (error, result) => {
      current = null;
      if (error) reject(error);
      else resolve(result);
    });
  });
}

/** A warmup run (not counted) then the measured run of one scenario against `target`. */
export async function runLoad(
  target: LoadTarget,
  scenario: Scenario,
  params: { connections: number; durationSec: number; warmupSec: number },
): Promise<LoadFigures> {
  let graphqlErrors = 0;
  let errorSample: string | null = null;
  let cacheHits = 0;
  const connections = scenario.connections ?? params.connections;
  const generator = typeof scenario.body === 'function' ? scenario.body : null;
  const request = (counting: boolean): autocannon.Request => ({
    method: 'POST',
    headers: target.headers,
    body: generator ? undefined : JSON.stringify(scenario.body),
    ...(generator ? { setupRequest: (req: autocannon.Request) => ({ ...req, body: JSON.stringify(generator()) }) } : {}),
    // autocannon accumulates every body anyway; a substring check per response is cheap.
    onResponse: (status: number, body: string) => {
      if (!counting) return;
      if (status < 200 || status >= 300) {
        errorSample ??= `HTTP ${status}: ${body.slice(0, 500)}`;
      } else if (body.includes(ERRORS_KEY)) {
        graphqlErrors += 1;
        errorSample ??= body.slice(0, 500);
      } else if (scenario.countHits && body.includes(FULL_HIT)) {
        cacheHits += 1;
      }
    },
  });
  const common = { url: target.url, connections, timeout: 10, pipelining: 1 };
  if (params.warmupSec > 0) await run({ ...common, duration: params.warmupSec, requests: [request(false)] });
  const result = await run({ ...common, duration: params.durationSec, requests: [request(true)] });
  return {
    requestsPerSec: result.requests.mean,
    requests: result.requests.total,
    latencyMs: {
      mean: result.latency.mean,
      p50: result.latency.p50,
      p90: result.latency.p90,
      p99: result.latency.p99,
      max: result.latency.max,
    },
    throughputBytesPerSec: result.throughput.mean,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    graphqlErrors,
    errorSample,
    cacheHits: scenario.countHits ? cacheHits : null,
    connections,
  };
}
