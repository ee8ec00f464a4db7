import { spawnSync } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/logger.js';
import { LATENCY_BUCKETS_MS } from '../src/metrics/histogram-samples.js';
import { JobOutcomes } from '../src/metrics/job-outcomes.js';
import { LatencyHistogram } from '../src/metrics/latency-histogram.js';
import { createPrometheusRegistry } from '../src/metrics/prometheus-exporter.js';
import { blockEventLoop } from './helpers/block-event-loop.js';
import { lastDays } from './helpers/dates.js';
import { dataOf } from './helpers/graphql-client.js';
import { promtool, readExposition, sampleValue, scrapeText, type PromSample } from './helpers/prometheus-text.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';
import { waitFor } from './helpers/wait-for.js';
import { BACKENDS, jobsEnv, uniquePrefix } from './jobs-helpers.js';

/**
 * The shipped Prometheus rules and Grafana dashboard against a real scrape: every series
 * they name exists, the histograms are well formed and agree with Metrics, and promtool
 * accepts the scrape and the dashboard's queries. Then job outcomes, end to end.
 */

const ALERTS = readFileSync(new URL('../deploy/prometheus/alerts.yml', import.meta.url), 'utf8');
const DASHBOARD = JSON.parse(readFileSync(new URL('../deploy/grafana/graphpulse.json', import.meta.url), 'utf8')) as {
  panels: Array<{ targets?: Array<{ expr: string }> }>;
  templating: { list: Array<{ definition?: string }> };
};
const SERIES_NAME = /\bgraphpulse_[a-z0-9_]+/g;

/** The PromQL of alerts.yml: each `expr:` with its indented continuation lines. */
function alertExpressions(): string[] {
  const expressions: string[] = [];
  const lines = ALERTS.split('\n');
  lines.forEach((line, i) => {
    const match = /^(\s*)expr:\s*(.*)$/.exec(line);
    if (!match) return;
    let expr = match[2] === '|' ? '' : match[2];
    for (let j = i + 1; j < lines.length && /^\s+/.exec(lines[j])![0].length > match[1].length; j += 1) expr += ` ${lines[j].trim()}`;
    expressions.push(expr.trim());
  });
  return expressions;
}

function dashboardExpressions(): string[] {
  const targets = DASHBOARD.panels.flatMap((p) => p.targets ?? []).map((t) => t.expr);
  return [...targets, ...DASHBOARD.templating.list.flatMap((v) => (v.definition ? [v.definition] : []))];
}

const namesIn = (expressions: string[]) => new Set(expressions.flatMap((e) => e.match(SERIES_NAME) ?? []));
const seconds = (ms: number) => String(ms / 1000);
const labelKey = (labels: Record<string, string>) =>
  JSON.stringify(
    Object.entries(labels)
      .filter(([k]) => k !== 'le')
      .sort(([a], [b]) => a.localeCompare(b)),
  );

/** Each series of histogram `name` (labels without le): its buckets in bound order, and its _count. */
function histograms(samples: PromSample[], name: string): Map<string, { buckets: Array<[string, number]>; count: number | undefined }> {
  const series = new Map<string, { buckets: Array<[string, number]>; count: number | undefined }>();
  for (const s of samples.filter((x) => x.name === `${name}_bucket`)) {
    const key = labelKey(s.labels);
    const entry = series.get(key) ?? { buckets: [], count: undefined };
    entry.buckets.push([s.labels.le, s.value]);
    series.set(key, entry);
  }
  for (const s of samples.filter((x) => x.name === `${name}_count`)) {
    const entry = series.get(labelKey(s.labels));
    if (entry) entry.count = s.value;
  }
  return series;
}

describe('LatencyHistogram.countsAtOrBelow', () => {
  it('counts the values at or below each bound, cumulatively, exact at the bounds', () => {
    const histogram = new LatencyHistogram();
    for (const ms of [0.5, 1, 1.5, 99.9, 100, 199.9, 200, 200.2, 250, 20_000]) histogram.record(ms);
    const counts = histogram.countsAtOrBelow(LATENCY_BUCKETS_MS);
    const at = (ms: number) => counts[LATENCY_BUCKETS_MS.indexOf(ms as (typeof LATENCY_BUCKETS_MS)[number])];
    expect(at(1)).toBe(2);
    expect(at(2.5)).toBe(3);
    expect(at(50)).toBe(3);
    expect(at(100)).toBe(5);
    // 200.2 ms lies past the 200 ms bound by more than the resolution there (128 µs): it counts above.
    expect(at(200)).toBe(7);
    expect(at(250)).toBe(9);
    expect(at(10_000)).toBe(9);
    expect(new LatencyHistogram().countsAtOrBelow([1, 10])).toEqual([0, 0]);
    // Near 10 s the resolution is 8.192 ms: a value may count under a bound it passes by less than that, never above one it is under.
    const one = new LatencyHistogram();
    one.record(10_000);
    expect(one.countsAtOrBelow([9_990, 9_999, 10_000])).toEqual([0, 1, 1]);
  });
});

describe('JobOutcomes', () => {
  it('counts each outcome once, from its event or, when the event was lost, from reading the finished jobs back', async () => {
    // A stand-in for one queue: finished job records and an event emitter (the integration test below runs BullMQ).
    const finished: Array<{ id: string; finishedOn: number; state: 'completed' | 'failed' }> = [];
    const events = new EventEmitter();
    const source = {
      queue: {
        getJob: async (id: string) => finished.find((j) => j.id === id),
        getJobs: async ([state]: Array<'completed' | 'failed'>) => finished.filter((j) => j.state === state).reverse(),
      },
      events,
    };
    finished.push({ id: 'old', finishedOn: Date.now() - 60_000, state: 'completed' }); // before it followed: not counted
    const outcomes = new JobOutcomes();
    outcomes.follow('maintenance', source, createLogger('silent'));
    try {
      expect(outcomes.totals().get('maintenance')).toEqual({ completed: 0, failed: 0 });
      finished.push({ id: '1', finishedOn: Date.now(), state: 'completed' });
      events.emit('completed', { jobId: '1' });
      finished.push({ id: '2', finishedOn: Date.now(), state: 'failed' });
      events.emit('failed', { jobId: '2' });
      finished.push({ id: '3', finishedOn: Date.now(), state: 'completed' }); // its event is lost
      await waitFor(() => outcomes.totals().get('maintenance')!.failed === 1);
      expect(outcomes.totals().get('maintenance')).toEqual({ completed: 1, failed: 1 });
      await waitFor(() => outcomes.totals().get('maintenance')!.completed === 2, { timeoutMs: 5_000 });
      // Another round changes nothing; a new window keeps the totals.
      await new Promise((resolve) => setTimeout(resolve, 2_200));
      expect(outcomes.totals().get('maintenance')).toEqual({ completed: 2, failed: 1 });
      expect(outcomes.inWindow('maintenance')).toEqual({ completed: 2, failed: 1 });
      outcomes.resetWindow();
      expect(outcomes.inWindow('maintenance')).toEqual({ completed: 0, failed: 0 });
      expect(outcomes.totals().get('maintenance')).toEqual({ completed: 2, failed: 1 });
    } finally {
      outcomes.stop();
    }
  });

  it('stop() removes its event listeners; a slow reconcile round is never joined by a second one', async () => {
    const events = new EventEmitter();
    let reads = 0;
    let release: () => void = () => {};
    const blocked = new Promise<void>((resolve) => (release = resolve));
    const source = {
      queue: {
        getJob: async () => undefined,
        // The first read hangs until released: a backend slower than the reconcile period.
        getJobs: async () => {
          reads += 1;
          await blocked;
          return [];
        },
      },
      events,
    };
    const outcomes = new JobOutcomes(50);
    outcomes.follow('maintenance', source, createLogger('silent'));
    expect(events.listenerCount('completed')).toBe(1);
    expect(events.listenerCount('failed')).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 400)); // eight periods
    expect(reads).toBe(1);
    release();
    await waitFor(() => reads > 2, { timeoutMs: 2_000 });
    outcomes.stop();
    expect(events.listenerCount('completed')).toBe(0);
    expect(events.listenerCount('failed')).toBe(0);
    const after = reads;
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(reads).toBe(after);
  });
});

describe('deploy/: alert rules and dashboard over a real /metrics', () => {
  let server: TestServer;
  let text: string;
  let samples: PromSample[];
  let types: Map<string, string>;
  let httpRequests: number;

  beforeAll(async () => {
    server = await startTestServer();
    const range = lastDays(7);
    const card = `query Card($range: DateRange!) { store(id: "2") { revenue(range: $range) { total } topProducts(range: $range, limit: 3) { revenue } } }`;
    for (let i = 0; i < 4; i += 1) await server.request(card, { variables: { range } });
    await server.request('{ nope }');
    const { metrics } = dataOf(await server.request<{ metrics: { http: { requests: number } } }>('{ metrics { http { requests } } }'));
    // The metrics read is counted once it has answered, before the scrape starts.
    httpRequests = metrics.http.requests + 1;
    text = await scrapeText(server);
    ({ samples, types } = readExposition(text));
  });
  afterAll(() => server?.stop());

  it('every series alerts.yml and graphpulse.json name is in the scrape', () => {
    const scraped = new Set(samples.map((s) => s.name));
    const alerts = namesIn(alertExpressions());
    const dashboard = namesIn(dashboardExpressions());
    expect(alertExpressions()).toHaveLength(7);
    expect(alerts.size).toBeGreaterThanOrEqual(9);
    expect(dashboard.size).toBeGreaterThanOrEqual(12);
    expect([...alerts].filter((name) => !scraped.has(name))).toEqual([]);
    expect([...dashboard].filter((name) => !scraped.has(name))).toEqual([]);
    // analytic="true" selects the @cached fields: the card's analytic fields carry it, Query.categories would not.
    const analytic = samples.filter((s) => s.name === 'graphpulse_resolver_latency_seconds_count' && s.labels.analytic === 'true');
    expect(analytic.map((s) => s.labels.field).sort()).toEqual(['Query.store', 'Store.revenue', 'Store.topProducts']);
  });

  it('histograms: the bounds, cumulative buckets, +Inf = _count, and HTTP _count = Metrics.http.requests', () => {
    const bounds = [...LATENCY_BUCKETS_MS.map(seconds), '+Inf'];
    for (const name of [
      'graphpulse_http_request_latency_seconds',
      'graphpulse_resolver_latency_seconds',
      'graphpulse_event_loop_lag_seconds',
    ]) {
      expect(types.get(name)).toBe('histogram');
      const series = histograms(samples, name);
      expect(series.size).toBeGreaterThan(0);
      for (const [labels, { buckets, count }] of series) {
        expect(
          buckets.map(([le]) => le),
          `${name} ${labels}`,
        ).toEqual(bounds);
        const values = buckets.map(([, v]) => v);
        for (let i = 1; i < values.length; i += 1)
          expect(values[i], `${name} ${labels} le=${bounds[i]}`).toBeGreaterThanOrEqual(values[i - 1]);
        expect(values.at(-1)).toBe(count);
      }
    }
    const http = [...histograms(samples, 'graphpulse_http_request_latency_seconds').values()];
    expect(http).toHaveLength(1);
    expect(http[0].count).toBe(httpRequests);
    expect(sampleValue(samples, 'graphpulse_http_request_duration_seconds_count')).toBe(httpRequests);
    // The same HDR numbers as the summary: the sums agree.
    expect(sampleValue(samples, 'graphpulse_http_request_latency_seconds_sum')).toBe(
      sampleValue(samples, 'graphpulse_http_request_duration_seconds_sum'),
    );
    // Counters of the jobs exist from the start, at 0, for every queue (increase() needs the first sample).
    expect(samples.filter((s) => s.name === 'graphpulse_jobs_failed_total').map((s) => [s.labels.queue, s.value])).toEqual(
      expect.arrayContaining([
        ['maintenance', 0],
        ['reports', 0],
      ]),
    );
  });

  it('analytic comes from the schema’s @cached fields: true from a field’s first call, before any cache read', async () => {
    const metrics = server.app.services.metrics!;
    const registry = createPrometheusRegistry(metrics, {
      processDefaults: false,
      logger: createLogger('silent'),
      eventLoopLag: new LatencyHistogram(),
      analyticFields: ['Probe.cachedField'],
    });
    // Timed, never read from the cache, not marked for the history: only the schema says it is analytic.
    metrics.resolvers.field('Probe.cachedField').record(3, false);
    metrics.resolvers.field('Probe.plainField').record(3, false);
    const { samples: own } = readExposition(await registry.metrics());
    const labelOf = (field: string) =>
      own.find((s) => s.name === 'graphpulse_resolver_latency_seconds_count' && s.labels.field === field)?.labels.analytic;
    expect(labelOf('Probe.cachedField')).toBe('true');
    expect(labelOf('Probe.plainField')).toBe('false');
  });

  it('event-loop lag histogram: a 300 ms block lands between the 250 and 500 ms bounds', async () => {
    const above = (all: PromSample[], le: string) =>
      sampleValue(all, 'graphpulse_event_loop_lag_seconds_bucket', { le: '+Inf' })! -
      sampleValue(all, 'graphpulse_event_loop_lag_seconds_bucket', { le })!;
    const before = readExposition(await scrapeText(server)).samples;
    blockEventLoop(300);
    // The block is recorded when the sampler's timer next fires.
    const after = await waitFor(
      async () => {
        const now = readExposition(await scrapeText(server)).samples;
        return above(now, '0.25') > above(before, '0.25') && now;
      },
      { what: 'the block to show above le=0.25' },
    );
    expect(above(after, '0.25') - above(before, '0.25')).toBe(1);
    expect(above(after, '0.5')).toBe(above(before, '0.5'));
  });

  it('promtool accepts the scrape and every dashboard query', () => {
    const tool = promtool();
    if (!tool) {
      console.log('promtool not on PATH (Debian package "prometheus"): promtool checks skipped');
      return;
    }
    // Ours only: prom-client's standard nodejs_* gauges are named *_total, which the linter flags.
    const ours = text
      .split('\n')
      .filter((line) => !/^(# (HELP|TYPE) )?(nodejs|process)_/.test(line))
      .join('\n');
    expect(ours).toContain('graphpulse_jobs_failed_total');
    const metrics = spawnSync(tool, ['check', 'metrics'], { input: ours, encoding: 'utf8' });
    expect(`${metrics.stdout}${metrics.stderr}`).toBe('');
    expect(metrics.status).toBe(0);
    // The dashboard's queries as recording rules: promtool parses each as PromQL.
    const dir = mkdtempSync(join(tmpdir(), 'gp-dashboard-'));
    try {
      const rules = dashboardExpressions()
        .filter((expr) => !expr.startsWith('label_values('))
        .map((expr, i) => {
          const promql = expr.replaceAll('$__rate_interval', '1m').replaceAll('$instance', '.*');
          return `      - record: dashboard:query${i}\n        expr: ${JSON.stringify(promql)}`;
        });
      const file = join(dir, 'dashboard-rules.yml');
      writeFileSync(file, `groups:\n  - name: dashboard\n    rules:\n${rules.join('\n')}\n`);
      const check = spawnSync(tool, ['check', 'rules', file], { encoding: 'utf8' });
      expect(check.stderr).toBe('');
      expect(check.status).toBe(0);
      expect(check.stdout).toContain(`SUCCESS: ${rules.length} rules found`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

interface QueueRow {
  name: string;
  completed: number;
  failed: number;
  completedInWindow: number;
  failedInWindow: number;
  throughputPerMinute: number;
  successRate: number | null;
}
const QUEUES = '{ metrics { since queues { name completed failed completedInWindow failedInWindow throughputPerMinute successRate } } }';

describe.each(BACKENDS)('job outcomes per queue (%s)', (backend) => {
  let server: TestServer;
  beforeAll(async () => {
    // Two attempts, 100 ms apart: a job told to fail 5 times fails for good on its 2nd.
    server = await startTestServer({
      env: jobsEnv(backend, uniquePrefix('outcomes'), { WORKERS: 'inline', JOB_RETRY: 'probe=2/100' }),
    });
  });
  afterAll(() => server?.stop());

  const maintenance = async () => {
    const { metrics } = dataOf(await server.request<{ metrics: { since: string; queues: QueueRow[] } }>(QUEUES));
    return { since: new Date(metrics.since), queue: metrics.queues.find((q) => q.name === 'maintenance')! };
  };

  it('counts completed and finally failed jobs once, in QueueMetrics and /metrics; resetMetrics starts a new window', async () => {
    dataOf(await server.request('mutation { resetMetrics }'));
    const before = await maintenance();
    expect(before.queue).toMatchObject({ completedInWindow: 0, failedInWindow: 0, throughputPerMinute: 0, successRate: null });

    const probe = (data: { failAttempts?: number }) => server.app.services.jobs.queues.enqueue('probe', data, { dedupe: false });
    await probe({}); // completes at once
    await probe({ failAttempts: 1 }); // fails once, is retried, completes: not a failure
    await probe({ failAttempts: 5 }); // fails both attempts: one failure

    let last: QueueRow | undefined;
    await waitFor(
      async () => {
        last = (await maintenance()).queue;
        return last.completedInWindow + last.failedInWindow >= 3;
      },
      { timeoutMs: 20_000, what: () => `three probe jobs to finish (maintenance: ${JSON.stringify(last)})` },
    );
    // Past a reconcile round (every 2 s): reading the finished jobs back counts none of them twice.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    const askedAt = Date.now();
    const { since, queue } = await maintenance();
    const answeredAt = Date.now();
    expect(queue).toMatchObject({ completedInWindow: 2, failedInWindow: 1 });
    expect(queue.successRate).toBeCloseTo(2 / 3, 12);
    // 3 jobs over the minutes since Metrics.since (at least one) as of some moment while the query ran.
    const minutes = (at: number) => Math.max(1, (at - since.getTime()) / 60_000);
    expect(queue.throughputPerMinute).toBeGreaterThanOrEqual(3 / minutes(answeredAt));
    expect(queue.throughputPerMinute).toBeLessThanOrEqual(3 / minutes(askedAt));

    const { samples } = readExposition(await scrapeText(server));
    expect(sampleValue(samples, 'graphpulse_jobs_completed_total', { queue: 'maintenance' })).toBe(2);
    expect(sampleValue(samples, 'graphpulse_jobs_failed_total', { queue: 'maintenance' })).toBe(1);
    expect(sampleValue(samples, 'graphpulse_jobs_failed_total', { queue: 'reports' })).toBe(0);

    // A new window: QueueMetrics start again, the Prometheus counters keep counting since start.
    dataOf(await server.request('mutation { resetMetrics }'));
    expect((await maintenance()).queue).toMatchObject({
      completedInWindow: 0,
      failedInWindow: 0,
      throughputPerMinute: 0,
      successRate: null,
    });
    const after = readExposition(await scrapeText(server)).samples;
    expect(sampleValue(after, 'graphpulse_jobs_completed_total', { queue: 'maintenance' })).toBe(2);
    expect(sampleValue(after, 'graphpulse_jobs_failed_total', { queue: 'maintenance' })).toBe(1);
    expect(server.app.services.metrics!.jobOutcomes.totals().get('maintenance')).toEqual({ completed: 2, failed: 1 });
  });
});
