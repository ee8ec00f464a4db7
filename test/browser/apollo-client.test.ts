import type { Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBundle } from '../../src/assets/build-bundle.js';
import type { BundleSpec } from '../../src/assets/bundle-spec.js';
import { createLogger } from '../../src/logger.js';
import { chromiumInstalled, disconnectBrowser, sharedBrowser } from '../helpers/chromium.js';
import { lastDays } from '../helpers/dates.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { jobsEnv, uniquePrefix } from '../jobs-helpers.js';
import { startStaticPageServer, type StaticPageServer } from './static-page-server.js';

/**
 * The API from a page of another origin, in Chromium: Apollo Client with automatic
 * persisted queries reads the README's StoreDashboard and sees X-Cache: HIT on the
 * repeat, subscribes to a report's jobEvents over graphql-ws (key in connectionParams)
 * and sees COMPLETED; the same page from an origin not in CORS_ORIGINS gets nothing.
 * The page (test/browser/pages/apollo-client) is bundled by the API's own asset pipeline.
 */

const APOLLO_PAGE: BundleSpec = { name: 'apollo-client-page', entries: { main: 'test/browser/pages/apollo-client/main.ts' } };

/** The parts of StoreDashboard's answer the test reads. */
interface Dashboard {
  stores: { totalCount: number; edges: Array<{ node: { id: string; revenue: { orders: number } } }> };
}

interface PageApi {
  dashboard(range: { from: string; to: string }): Promise<{ data: Dashboard; xCache: string | null }>;
  startReport(range: { from: string; to: string }): Promise<string>;
  jobEvents(jobId: string): Promise<{ types: string[]; error: string | null; closeCodes: number[] }>;
}
/** What main.ts puts on window, as page.evaluate's functions see it (they run in the page: no closures, no DOM types here). */
type PageWindow = { apolloPage: PageApi };

/** The JSON body of a POST to the API: what Apollo Client actually sent. */
/** What a GraphQL request carried: a POST's JSON body, or a GET's query-string parameters. */
function sentBody(
  request: Request,
): { method: string; operationName?: string; query?: string; extensions?: { persistedQuery?: { sha256Hash: string } } } | null {
  if (request.method() === 'POST') return { method: 'POST', ...(request.postDataJSON() as object) };
  if (request.method() !== 'GET') return null;
  const params = new URL(request.url()).searchParams;
  const extensions = params.get('extensions');
  return {
    method: 'GET',
    operationName: params.get('operationName') ?? undefined,
    query: params.get('query') ?? undefined,
    extensions: extensions ? (JSON.parse(extensions) as { persistedQuery?: { sha256Hash: string } }) : undefined,
  };
}

describe.skipIf(!chromiumInstalled())('Apollo Client on a page of another origin', () => {
  const logger = createLogger('warn');
  let allowedSite: StaticPageServer;
  let otherSite: StaticPageServer;
  let server: TestServer;
  const range = lastDays(30);

  beforeAll(async () => {
    const bundle = await buildBundle(APOLLO_PAGE, { logger });
    allowedSite = await startStaticPageServer(bundle, logger);
    otherSite = await startStaticPageServer(bundle, logger);
    server = await startTestServer({
      env: { CORS_ORIGINS: allowedSite.origin, ...jobsEnv('postgres', uniquePrefix('apollo-page'), { WORKERS: 'inline' }) },
    });
  });
  afterAll(async () => {
    await disconnectBrowser();
    await server?.stop();
    await allowedSite?.stop();
    await otherSite?.stop();
  });

  /** The page from `site`, in a context of its own, once its script has run. */
  async function openPage(site: StaticPageServer): Promise<Page> {
    const context = await (await sharedBrowser()).newContext();
    const page = await context.newPage();
    const query = new URLSearchParams({ api: server.url, key: server.adminKey });
    expect((await page.goto(`${site.origin}/?${query}`))?.status()).toBe(200);
    await page.waitForFunction(() => Boolean((globalThis as { apolloPage?: unknown }).apolloPage));
    return page;
  }

  describe('from an allowed origin', () => {
    let page: Page;
    const sent: Array<ReturnType<typeof sentBody>> = [];
    beforeAll(async () => {
      page = await openPage(allowedSite);
      page.on('request', (request) => {
        if (request.url().split('?')[0] === server.url) sent.push(sentBody(request));
      });
    });
    afterAll(() => page?.context().close());

    it('runs StoreDashboard through persisted queries, and the repeat is X-Cache: HIT', async () => {
      const first = await page.evaluate((r) => (globalThis as unknown as PageWindow).apolloPage.dashboard(r), range);
      expect(first.data.stores.totalCount).toBeGreaterThan(0);
      expect(first.data.stores.edges[0].node.revenue.orders).toBeGreaterThan(0);

      const repeat = await page.evaluate((r) => (globalThis as unknown as PageWindow).apolloPage.dashboard(r), range);
      expect(repeat.xCache).toBe('HIT');
      expect(repeat.data).toEqual(first.data);

      // APQ: the hash alone (a GET), the full text once when the server did not know it (a
      // POST), then the hash alone again — the GET the hot path answered with HIT.
      const dashboard = sent.filter((body) => body?.operationName === 'StoreDashboard');
      expect(dashboard.map((body) => `${body?.method} ${body?.query ? 'text' : 'hash'}`)).toEqual(['GET hash', 'POST text', 'GET hash']);
      expect(new Set(dashboard.map((body) => body?.extensions?.persistedQuery?.sha256Hash)).size).toBe(1);
    });

    it('starts a report and sees its jobEvents reach COMPLETED over graphql-ws', async () => {
      const jobId = await page.evaluate((r) => (globalThis as unknown as PageWindow).apolloPage.startReport(r), range);
      const events = await page.evaluate((id) => (globalThis as unknown as PageWindow).apolloPage.jobEvents(id), jobId);
      expect(events.error).toBeNull();
      expect(events.types.at(-1)).toBe('COMPLETED');
    });
  });

  describe('from an origin not in CORS_ORIGINS', () => {
    let page: Page;
    beforeAll(async () => {
      page = await openPage(otherSite);
    });
    afterAll(() => page?.context().close());

    it('gets no answer over HTTP', async () => {
      await expect(page.evaluate((r) => (globalThis as unknown as PageWindow).apolloPage.dashboard(r), range)).rejects.toThrow(
        /Failed to fetch/,
      );
    });

    it('has its WebSocket closed with 4403', async () => {
      const events = await page.evaluate(() => (globalThis as unknown as PageWindow).apolloPage.jobEvents('1'));
      expect(events.types).toEqual([]);
      expect(events.closeCodes).toEqual([4403]);
    });
  });
});
