import autocannon from 'autocannon';
import type { BodyGenerator, GraphqlBody, Scenario } from './scenarios.js';

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
  /** Responses of a miss scenario in which an analytic field was not a MISS (null for other scenarios). */
  unexpectedHits: number | null;
  /** The body generator failed (e.g. no unseen combination left): the run stopped early. */
  generatorError: string | null;
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

interface CacheReport {
  extensions?: { cache?: { fields?: Array<{ path: string; tier: string }> } };
}

/**
 * What a miss scenario's response says wrong about the cache: an error text when a
 * field other than the store lookup itself (`store`, an entity cached per store) came
 * from a cache tier, or when the response reports no cached field at all.
 */
function missProblem(body: string): string | null {
  let fields: Array<{ path: string; tier: string }> | undefined;
  try {
    fields = (JSON.parse(body) as CacheReport).extensions?.cache?.fields;
  } catch {
    return 'response is not JSON';
  }
  if (!fields?.length) return 'no extensions.cache in the response';
  const hit = fields.find((f) => f.path !== 'store' && f.tier !== 'MISS');
  return hit ? `${hit.path} answered from ${hit.tier}` : null;
}

/**
 * One request of the scenario (the first five of a generator) outside the load: a 2xx,
 * JSON with data and no `errors` (and, for a miss scenario, misses only). Returns what
 * was wrong, or null.
 */
export async function precheck(target: LoadTarget, scenario: Scenario, next: BodyGenerator): Promise<string | null> {
  const samples = typeof scenario.body === 'function' ? 5 : 1;
  for (let i = 0; i < samples; i += 1) {
    let body: GraphqlBody;
    try {
      body = next();
    } catch (error) {
      return `no body: ${error instanceof Error ? error.message : String(error)}`;
    }
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
      const miss = scenario.expectMisses ? missProblem(text) : null;
      if (miss) return `expected misses only: ${miss} (${text.slice(0, 300)})`;
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
      if (error) reject(error instanceof Error ? error : new Error(String(error)));
      else resolve(result);
    });
  });
}

/** A harmless body sent only after the generator failed, while the run stops. */
const STOPPING_BODY = JSON.stringify({ query: '{ __typename }' });

/** A warmup run (not counted) then the measured run of one scenario against `target`; `next` gives each body. */
export async function runLoad(
  target: LoadTarget,
  scenario: Scenario,
  next: BodyGenerator,
  params: { connections: number; durationSec: number; warmupSec: number },
  /** Called right before and right after the measured part (after the warmup). */
  measured: { start(): void; end(): void } = { start() {}, end() {} },
): Promise<LoadFigures> {
  let graphqlErrors = 0;
  let errorSample: string | null = null;
  let cacheHits = 0;
  let unexpectedHits = 0;
  let generatorError: string | null = null;
  const connections = scenario.connections ?? params.connections;
  const varying = typeof scenario.body === 'function';
  // autocannon calls setupRequest inside its request loop: a throw there would crash it, so a
  // failing generator stops the run instead and the failure is reported.
  const generated = (): string => {
    if (generatorError) return STOPPING_BODY;
    try {
      return JSON.stringify(next());
    } catch (error) {
      generatorError = error instanceof Error ? error.message : String(error);
      current?.stop();
      return STOPPING_BODY;
    }
  };
  const request = (counting: boolean): autocannon.Request => ({
    method: 'POST',
    headers: target.headers,
    body: varying ? undefined : JSON.stringify(next()),
    ...(varying ? { setupRequest: (req: autocannon.Request) => ({ ...req, body: generated() }) } : {}),
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
      } else if (scenario.expectMisses && !generatorError) {
        const problem = missProblem(body);
        if (problem) {
          unexpectedHits += 1;
          errorSample ??= `expected misses only: ${problem}`;
        }
      }
    },
  });
  const common = { url: target.url, connections, timeout: 10, pipelining: 1 };
  if (params.warmupSec > 0) await run({ ...common, duration: params.warmupSec, requests: [request(false)] });
  measured.start();
  const result = await run({ ...common, duration: generatorError ? 0.1 : params.durationSec, requests: [request(true)] });
  measured.end();
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
    unexpectedHits: scenario.expectMisses ? unexpectedHits : null,
    generatorError,
    connections,
  };
}
