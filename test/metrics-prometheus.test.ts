import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MetricsSnapshotDocument, ResetMetricsDocument, type MetricsSnapshotQuery } from './generated/graphql.js';
import { waitFor } from './helpers/wait-for.js';
import { blockEventLoop } from './helpers/block-event-loop.js';
import { lastDays } from './helpers/dates.js';
import { dataOf } from './helpers/graphql-client.js';
import { startServerWithViewer } from './helpers/api-keys.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

/** /metrics: valid Prometheus text, the same numbers as GraphQL, ADMIN only unless METRICS_PUBLIC. */

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}
interface Family {
  type: string;
  help: string;
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?$/;
const LABEL = /\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(?:,|$)/y;
const SUFFIXES: Record<string, string[]> = {
  counter: [''],
  gauge: [''],
  summary: ['', '_sum', '_count'],
  histogram: ['_bucket', '_sum', '_count'],
  untyped: [''],
};

/** A strict reader of the text exposition format 0.0.4: throws on anything a Prometheus server would reject. */
function parsePrometheus(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const familyOf = (sample: string) => [...families].find(([name, f]) => SUFFIXES[f.type]?.some((s) => `${name}${s}` === sample))?.[1];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const meta = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
    if (meta) {
      const [, kind, name, rest] = meta;
      if (!NAME.test(name)) throw new Error(`bad metric name in: ${line}`);
      const family = families.get(name) ?? { type: 'untyped', help: '', samples: [] };
      if (kind === 'TYPE') {
        if (!(rest in SUFFIXES) || family.samples.length) throw new Error(`bad or late TYPE: ${line}`);
        family.type = rest;
      } else family.help = rest;
      families.set(name, family);
      continue;
    }
    if (line.startsWith('#')) continue;
    const match = SAMPLE.exec(line);
    if (!match) throw new Error(`not a sample line: ${line}`);
    const [, name, labelText = '', valueText] = match;
    const labels: Record<string, string> = {};
    LABEL.lastIndex = 0;
    while (LABEL.lastIndex < labelText.length) {
      const label = LABEL.exec(labelText);
      if (!label) throw new Error(`bad labels in: ${line}`);
      labels[label[1]] = label[2].replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    }
    const value = /^[+-]?Inf$/.test(valueText) ? Number(valueText.replace('Inf', 'Infinity')) : Number(valueText);
    if (Number.isNaN(value) && valueText !== 'NaN') throw new Error(`bad value in: ${line}`);
    const family = familyOf(name);
    if (!family) throw new Error(`sample without a TYPE: ${line}`);
    family.samples.push({ name, labels, value });
  }
  return families;
}

const range = lastDays(7);
let server: TestServer;
let viewerKey: string;

function scrape(key: string | null, target = server) {
  return fetch(target.url.replace(/\/graphql$/, '/metrics'), { headers: key ? { authorization: `Bearer ${key}` } : {} });
}

function value(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number | undefined {
  const family = families.get(name) ?? families.get(name.replace(/_(sum|count)$/, ''));
  return family?.samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

beforeAll(async () => ({ server, viewerKey } = await startServerWithViewer()));
afterAll(() => server?.stop());

describe('/metrics', () => {
  it('parses as Prometheus text and agrees with Metrics over GraphQL', async () => {
    dataOf(await server.request(ResetMetricsDocument));
    const card = `query Card($range: DateRange!) { store(id: "2") { revenue(range: $range) { total } topProducts(range: $range, limit: 3) { revenue } } }`;
    for (let i = 0; i < 3; i += 1) await server.request(card, { variables: { range } });
    await server.request('{ nope }');
    const metrics: MetricsSnapshotQuery['metrics'] = dataOf(
      await server.request(MetricsSnapshotDocument, { variables: { top: 100 } }),
    ).metrics;
    const response = await scrape(server.adminKey);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const families = parsePrometheus(await response.text());

    // The GraphQL read itself ended before the scrape: one request more.
    const requests = families.get('graphpulse_http_requests_total')!;
    expect(requests.type).toBe('counter');
    expect(requests.samples.reduce((sum, s) => sum + s.value, 0)).toBe(metrics.http.requests + 1);
    expect(value(families, 'graphpulse_http_requests_total', { status: '400' })).toBe(1);
    expect(value(families, 'graphpulse_http_request_errors_total')).toBe(metrics.http.errors);
    expect(value(families, 'graphpulse_http_hot_path_requests_total')).toBe(metrics.http.hotPath);

    expect(families.get('graphpulse_resolver_duration_seconds')!.type).toBe('summary');
    expect(metrics.resolvers.length).toBeGreaterThanOrEqual(3);
    for (const row of metrics.resolvers) {
      const labels = { field: row.field };
      expect(value(families, 'graphpulse_resolver_duration_seconds_count', labels)).toBe(row.count);
      expect(value(families, 'graphpulse_resolver_duration_seconds', { ...labels, quantile: '0.95' })).toBeCloseTo(
        row.latency.p95Ms / 1000,
        12,
      );
      expect(value(families, 'graphpulse_resolver_duration_seconds', { ...labels, quantile: '0.99' })).toBeCloseTo(
        row.latency.p99Ms / 1000,
        12,
      );
      expect(value(families, 'graphpulse_resolver_errors_total', labels)).toBe(row.errors);
    }
    for (const field of metrics.cache.fields) {
      expect(value(families, 'graphpulse_cache_hits_total', { field: field.field })).toBe(field.hits);
      expect(value(families, 'graphpulse_cache_misses_total', { field: field.field })).toBe(field.misses);
    }
    expect(metrics.cache.fields.map((f) => f.field).sort()).toEqual(['Query.store', 'Store.revenue', 'Store.topProducts']);
    expect(value(families, 'graphpulse_db_queries_total')).toBe(metrics.database.queries);
    expect(value(families, 'graphpulse_db_query_duration_seconds_count')).toBe(metrics.database.latency.count);
    const pool = Object.fromEntries(
      ['total', 'idle', 'waiting'].map((state) => [state, value(families, 'graphpulse_db_pool_connections', { state })]),
    );
    expect(pool.total).toBeGreaterThanOrEqual(1);
    expect(pool.idle).toBeLessThanOrEqual(pool.total!);
    expect(pool.waiting).toBe(0);
    const jobs = families.get('graphpulse_queue_jobs')!;
    expect(jobs.samples).toHaveLength(metrics.queues.length * 6);
    for (const queue of metrics.queues) {
      for (const state of ['waiting', 'active', 'completed', 'failed', 'delayed', 'paused'] as const) {
        expect(value(families, 'graphpulse_queue_jobs', { queue: queue.name, state })).toBe(queue[state]);
      }
    }
    expect(value(families, 'graphpulse_process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(families.has('process_cpu_user_seconds_total')).toBe(true); // prom-client's standard process series
    for (const [name] of families) expect(name.startsWith('graphpulse_') || /^(process|nodejs)_/.test(name)).toBe(true);
  });

  it('event-loop lag: a deliberate block shows in seconds, as GraphQL shows it in ms', async () => {
    const BLOCK_MS = 400;
    dataOf(await server.request(ResetMetricsDocument));
    // Node's monitor drops the first interval after a reset: let it sample once before the block.
    await waitFor(
      async () => dataOf(await server.request(MetricsSnapshotDocument, { variables: { top: 1 } })).metrics.process.eventLoopLagP99Ms > 0,
      {
        what: 'the event-loop monitor to sample after the reset',
      },
    );
    blockEventLoop(BLOCK_MS);
    // The block's sample is recorded when the monitor's timer next fires: wait for it, not for the clock.
    const lagSeconds = await waitFor(
      async () => {
        const lag = value(parsePrometheus(await (await scrape(server.adminKey)).text()), 'graphpulse_event_loop_lag_p99_seconds')!;
        return lag >= (BLOCK_MS * 0.9) / 1000 && lag;
      },
      { what: `/metrics to report the ${BLOCK_MS} ms block` },
    );
    expect(lagSeconds).toBeLessThan((BLOCK_MS * 2) / 1000);
    // Under 100 samples since the reset the p99 is still the blocked one.
    const { metrics } = dataOf(await server.request(MetricsSnapshotDocument, { variables: { top: 1 } }));
    expect(metrics.process.eventLoopLagP99Ms).toBeGreaterThanOrEqual(BLOCK_MS * 0.9);
    expect(metrics.process.eventLoopLagP99Ms).toBeLessThan(BLOCK_MS * 2);
  });

  it('needs an ADMIN key: 401 without or with an unknown key, 403 for VIEWER', async () => {
    expect((await scrape(null)).status).toBe(401);
    expect((await scrape('gp_unknown_key_0000000000000000')).status).toBe(401);
    const viewer = await scrape(viewerKey);
    expect(viewer.status).toBe(403);
    expect(await viewer.json()).toMatchObject({ code: 'FORBIDDEN' });
  });

  it('is public with METRICS_PUBLIC=true; METRICS_ENABLED=false feeds nothing', async () => {
    const open = await startTestServer({ databaseUrl: server.databaseUrl, env: { METRICS_PUBLIC: 'true', METRICS_ENABLED: 'false' } });
    try {
      await open.request('{ categories { id } }');
      const response = await scrape(null, open);
      expect(response.status).toBe(200);
      const families = parsePrometheus(await response.text());
      expect(families.get('graphpulse_http_requests_total')!.samples).toEqual([]);
      expect(value(families, 'graphpulse_db_queries_total')).toBe(0);
      expect(families.has('process_cpu_user_seconds_total')).toBe(false);
      const { metrics } = dataOf(await open.request(MetricsSnapshotDocument, {}));
      expect(metrics.http.requests).toBe(0);
      expect(metrics.resolvers).toEqual([]);
      expect(metrics.database.pool.total).toBeGreaterThanOrEqual(1); // read live either way
    } finally {
      await open.stop();
    }
  });
});
