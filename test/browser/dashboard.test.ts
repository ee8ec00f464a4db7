import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  browserOutputPath,
  chromiumInstalled,
  disconnectBrowser,
  isolatedContext,
  sharedBrowser,
  type IsolatedContext,
} from '../helpers/chromium.js';
import { dataOf } from '../helpers/graphql-client.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { jobsEnv, uniquePrefix } from '../jobs-helpers.js';

/**
 * The operations dashboard (GET /dashboard) in a real Chromium that reaches nothing but our
 * server: keys refused and accepted, numbers that match Query.metrics, a failing job and
 * its retry, a forced alert, and the redraw time of a chart with an hour of points.
 * test/dashboard-page.test.ts covers the page at the HTTP level.
 */

/** Fires at once and stays firing: requests per second is never below 0. */
const ALWAYS_ON = [{ name: 'always-on', metric: 'requests_per_second', op: '>=', threshold: 0, for: '0s' }];
const KEY_ITEM = 'graphpulse.dashboard.key';
/** One automatic refresh (10 s) and some slack for a loaded machine. */
const ONE_REFRESH_MS = 15_000;

/** What web/dashboard/main.ts puts on window, as page.evaluate's functions see it (they run in the page: no DOM types here). */
interface PageChart {
  spec: { id: string; series: unknown[] };
  /** Redraws with aligned columns; returns the milliseconds of uPlot's setData and drawing. */
  setData(data: number[][]): number;
}
interface PageWindow {
  graphpulseDashboard: { charts: { charts: PageChart[] }; refresh(): Promise<void> };
  sessionStorage: { getItem(name: string): string | null };
}

const METRICS_NOW = `query($scope: MetricsScope!) { metrics(scope: $scope) { http { requests latency { p99Ms } } } }`;

describe.skipIf(!chromiumInstalled())('the dashboard in Chromium, cut off from every origin but ours', () => {
  let server: TestServer;
  let isolated: IsolatedContext;
  let page: Page;
  let viewerKey: string;
  const pageErrors: string[] = [];
  const policyViolations: string[] = [];
  const dialogs: string[] = [];

  const dashboardUrl = () => new URL('/dashboard', server.url).href;
  const keptKey = () => page.evaluate((item) => (globalThis as unknown as PageWindow).sessionStorage.getItem(item), KEY_ITEM);
  const tileValue = async (metric: string) =>
    Number(await page.locator(`#overview .tile[data-metric="${metric}"]`).getAttribute('data-value'));
  const refreshes = async () => Number((await page.locator('body').getAttribute('data-refreshes')) ?? '0');

  async function submitKey(key: string): Promise<void> {
    await page.locator('#api-key').fill(key);
    await page.locator('#key-form button[type="submit"]').click();
  }

  beforeAll(async () => {
    server = await startTestServer({
      env: {
        ...jobsEnv('postgres', uniquePrefix('dashboard'), { WORKERS: 'inline' }),
        ALERT_RULES: JSON.stringify(ALWAYS_ON),
        ALERT_EVALUATION_MS: '500',
        // Every statement is "slow": the slow-statements panel has rows to ask plans of.
        SLOW_QUERY_MS: '1',
      },
    });
    viewerKey = dataOf(await server.request(`mutation { createApiKey(name: "viewer", role: VIEWER) { key } }`)).createApiKey.key;
    // The first GET builds the bundle: a cold build happens here, within the hook's time.
    expect((await fetch(new URL('/dashboard', server.url))).status).toBe(200);
    isolated = await isolatedContext(await sharedBrowser(), [new URL(server.url).origin]);
    page = await isolated.context.newPage();
    await page.setViewportSize({ width: 1440, height: 1000 });
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (/Content.Security.Policy/i.test(message.text())) policyViolations.push(message.text());
    });
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.accept();
    });
  });
  afterAll(async () => {
    await isolated?.context.close();
    await disconnectBrowser();
    await server?.stop();
  });

  it('refuses a viewer key and an unknown key with a clear message, and keeps neither', async () => {
    expect((await page.goto(dashboardUrl()))?.status()).toBe(200);
    await submitKey(viewerKey);
    await expect.poll(() => page.locator('#key-error').innerText()).toMatch(/not an ADMIN key/);
    expect(await keptKey()).toBeNull();
    await page.screenshot({ path: browserOutputPath('dashboard-key-refused.png') });

    await submitKey('gp_not_a_key_of_this_server');
    await expect.poll(() => page.locator('#key-error').innerText()).toMatch(/not known to the server/);
    expect(await keptKey()).toBeNull();
    expect(page.url()).toBe(dashboardUrl());
  });

  it('opens with an admin key, kept in sessionStorage and never in the URL', async () => {
    await submitKey(server.adminKey);
    await page.locator('#overview[data-state="ready"]').waitFor({ timeout: 15_000 });
    expect(await keptKey()).toBe(server.adminKey);
    expect(page.url()).toBe(dashboardUrl());
    // A reload keeps the tab's key: the dashboard comes back without the form.
    await page.reload();
    await page.locator('#overview[data-state="ready"]').waitFor({ timeout: 15_000 });
  });

  it('shows the request count and p99 of Query.metrics within one refresh after known traffic', async () => {
    const scope = await page.locator('#scope').inputValue();
    const before = dataOf(await server.request(METRICS_NOW, { variables: { scope } })).metrics.http.requests;
    for (let i = 0; i < 120; i += 1) dataOf(await server.request('{ stores(first: 1) { totalCount } }'));
    const after = dataOf(await server.request(METRICS_NOW, { variables: { scope } })).metrics.http;
    expect(after.requests).toBeGreaterThanOrEqual(before + 120);

    const seen = await refreshes();
    await expect.poll(refreshes, { timeout: ONE_REFRESH_MS }).toBeGreaterThan(seen);
    const shownRequests = await tileValue('requests');
    const shownP99 = await tileValue('p99');
    const later = dataOf(await server.request(METRICS_NOW, { variables: { scope } })).metrics.http;
    // Between our two reads only the page's own panel queries (about ten a refresh) can have been counted.
    expect(shownRequests).toBeGreaterThanOrEqual(after.requests);
    expect(shownRequests).toBeLessThanOrEqual(later.requests);
    expect(later.requests - after.requests).toBeLessThan(40);
    expect(shownP99).toBeGreaterThanOrEqual(Math.min(after.latency.p99Ms, later.latency.p99Ms) * 0.9);
    expect(shownP99).toBeLessThanOrEqual(Math.max(after.latency.p99Ms, later.latency.p99Ms) * 1.1);
    console.log(
      `dashboard showed ${shownRequests} requests, p99 ${shownP99} ms; metrics said ${after.requests}..${later.requests}, p99 ${after.latency.p99Ms}..${later.latency.p99Ms} ms`,
    );
  });

  it('lists a job that failed; Retry puts it back and the live feed shows it run again', async () => {
    const failing = await server.app.services.jobs!.queues.enqueue('probe', { failAttempts: 99 }, { dedupe: false });
    const retry = page.locator(`#failed-jobs button[data-retry="${failing.id}"]`);
    await retry.waitFor({ timeout: ONE_REFRESH_MS + 10_000 });
    const feedOf = (type: string) => page.locator(`#job-feed li[data-job="${failing.id}"][data-type="${type}"]`);
    expect(await feedOf('FAILED').count()).toBeGreaterThanOrEqual(1);
    const activeBefore = await feedOf('ACTIVE').count();

    await retry.click();
    await expect
      .poll(() => page.locator('#failed-jobs .action-result').innerText())
      .toMatch(new RegExp(`Job ${failing.id} is (waiting|active|delayed) again`));
    expect(dialogs.at(-1)).toMatch(/^Retry job/);
    await expect.poll(() => feedOf('ACTIVE').count(), { timeout: 15_000 }).toBeGreaterThan(activeBefore);
    const job = dataOf(await server.request(`query($id: ID!) { job(id: $id) { attempts } }`, { variables: { id: failing.id } })).job;
    expect(job.attempts).toBeGreaterThan(3);
  });

  it('shows the rule forced to fire at the top of the page', async () => {
    const alert = page.locator('#alerts li.alert-firing[data-alert="always-on"]');
    await alert.waitFor({ timeout: ONE_REFRESH_MS });
    expect(await page.locator('#alerts').getAttribute('data-state')).toBe('firing');
    const alertBox = (await page.locator('#alerts').boundingBox())!;
    const chartsBox = (await page.locator('#history').boundingBox())!;
    expect(alertBox.y).toBeLessThan(chartsBox.y);
  });

  it('redraws a chart of 360 points per series in well under 50 ms', async () => {
    const timings = await page.evaluate(() => {
      const charts = (globalThis as unknown as PageWindow).graphpulseDashboard.charts.charts;
      const start = Math.floor(Date.now() / 10_000) * 10 - 3600;
      return charts.map((chart) => {
        const times = Array.from({ length: 360 }, (_, i) => start + i * 10);
        const data = [times, ...chart.spec.series.map((_, s) => times.map((_, i) => 50 + 40 * Math.sin(i / 20 + s) + s * 10))];
        // HistoryChart.setData: performance.now() around uPlot's setData, drawn synchronously (batch).
        return { chart: chart.spec.id, ms: chart.setData(data) };
      });
    });
    console.log(`redraw with 360 points per series: ${timings.map((t) => `${t.chart} ${t.ms.toFixed(1)} ms`).join(', ')}`);
    expect(timings).toHaveLength(9);
    for (const { chart, ms } of timings) expect(ms, chart).toBeLessThan(50);
    // Back to the real history before the screenshot.
    await page.evaluate(() => (globalThis as unknown as PageWindow).graphpulseDashboard.refresh());
  });

  it('switches between the cluster and each instance (metrics(instance:)), and names the instance that answered', async () => {
    // The selector offers Cluster and every live instance by id: here the one server.
    const self = server.app.services.metricsHistory!.identity.id;
    await expect
      .poll(() => page.locator('#scope option').evaluateAll((options) => options.map((o) => o.getAttribute('value'))))
      .toEqual(['CLUSTER', self]);
    await page.locator('#scope').selectOption(self);
    await expect.poll(() => page.locator('#history .panel-note').innerText()).toMatch(/instance .+:\d+/);
    await expect.poll(() => page.locator('#answered-by').innerText()).toMatch(/^instance .+:\d+, answered by .+:\d+/);
    await page.locator('#scope').selectOption('CLUSTER');
    await expect.poll(() => page.locator('#history .panel-note').innerText()).toMatch(/cluster/);
    await expect.poll(() => page.locator('#instances tbody tr').count()).toBeGreaterThanOrEqual(1);
  });

  it('shows the EXPLAIN plan of a slow statement on demand', async () => {
    // A statement on api_keys gets only the generic plan (its parameters are credentials): pick another SELECT.
    const select = page.locator('#slow-queries tbody tr', { hasText: /^\s*(select|with)\b/i, hasNotText: /api_keys/ }).first();
    await select.waitFor({ timeout: ONE_REFRESH_MS });
    await select.locator('button[data-plan]').click();
    const plan = page.locator('#slow-queries .plan');
    await expect.poll(() => plan.innerText(), { timeout: 15_000 }).toMatch(/EXPLAIN ANALYZE[\s\S]*actual time=/);
    await page.locator('#slow-queries').screenshot({ path: browserOutputPath('dashboard-plan.png') });
  });

  it('saves a screenshot of the whole page', async () => {
    await page.evaluate(() => (globalThis as unknown as PageWindow).graphpulseDashboard.refresh());
    await page.screenshot({ path: browserOutputPath('dashboard.png'), fullPage: true });
  });

  it('reached no other origin, broke no Content-Security-Policy rule and threw no error', () => {
    expect(isolated.refused).toEqual([]);
    expect(policyViolations).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
