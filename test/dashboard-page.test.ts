import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliDecompressSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AssetRoutes } from '../src/assets/asset-routes.js';
import { DashboardPage } from '../src/http/dashboard-page.js';
import { createLogger } from '../src/logger.js';
import { crawlPage, type CrawledFile } from './helpers/asset-crawl.js';
import { rawHttp } from './helpers/raw-http.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

/**
 * GET /dashboard over HTTP: the page and its bundle (served by us, cached right, nothing
 * from elsewhere, a strict Content-Security-Policy), in production too, and beside the
 * GraphiQL bundle on the same /assets/ route. test/browser/dashboard.test.ts drives the page in Chromium.
 */

const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';
const HASHED_NAME = /-[A-Z0-9]{8}\.[a-z0-9]+(\.LEGAL\.txt)?$/;
const IMMUTABLE = 'public, max-age=31536000, immutable';

const raw = (url: string, headers: Record<string, string> = {}, method = 'GET') => rawHttp(url, { method, headers });
const dashboardUrl = (server: TestServer) => new URL('/dashboard', server.url).href;
const pageOf = (server: TestServer, headers: Record<string, string> = {}, method = 'GET') =>
  raw(dashboardUrl(server), { accept: BROWSER_ACCEPT, ...headers }, method);

/** The directives of a Content-Security-Policy header, by name. */
function policyOf(header: string | string[] | undefined): Map<string, string[]> {
  return new Map(
    String(header ?? '')
      .split(';')
      .map((part) => part.trim().split(/\s+/))
      .filter((words) => words[0])
      .map(([name, ...values]) => [name, values]),
  );
}

describe('GET /dashboard', () => {
  let server: TestServer;
  let html: string;
  let files: CrawledFile[];

  beforeAll(async () => {
    server = await startTestServer();
    // The first request builds the bundle (or finds it cached): a cold build happens here, within the hook's time.
    const page = await pageOf(server);
    expect(page.status).toBe(200);
    html = page.raw.toString();
    files = await crawlPage(dashboardUrl(server), html);
  });
  afterAll(() => server?.stop());

  it('serves the page with no-cache, an ETag (304 when current) and a policy that allows only our origin', async () => {
    const page = await pageOf(server);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['cache-control']).toBe('no-cache');
    expect(page.headers.etag).toMatch(/^"[\w-]{27}"$/);
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    const policy = policyOf(page.headers['content-security-policy']);
    for (const directive of ['default-src', 'script-src', 'style-src', 'connect-src'])
      expect(policy.get(directive), directive).toEqual(["'self'"]);
    expect(policy.get('frame-ancestors')).toEqual(["'none'"]);
    expect(page.headers['content-security-policy']).not.toContain('unsafe');
    expect(html).toMatch(/<script type="module" src="assets\/dashboard\/main-[A-Z0-9]{8}\.js"><\/script>/);
    expect(html).toMatch(/<link rel="stylesheet" href="assets\/dashboard\/main-[A-Z0-9]{8}\.css">/);
    expect(html).not.toMatch(/https?:\/\//);

    const again = await pageOf(server, { 'if-none-match': page.headers.etag! });
    expect(again.status).toBe(304);
    expect(again.raw.length).toBe(0);
    const head = await pageOf(server, {}, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.raw.length).toBe(0);
    expect((await pageOf(server, {}, 'POST')).status).toBe(405);
  });

  it('loads its script and stylesheet (uPlot inside) from this server only, hashed and immutable', async () => {
    const kinds = new Set(files.map((f) => f.headers.get('content-type')));
    expect(kinds).toEqual(new Set(['text/javascript; charset=utf-8', 'text/css; charset=utf-8']));
    for (const file of files) {
      expect(file.url.startsWith(new URL('/assets/dashboard/', server.url).href), file.url).toBe(true);
      expect(file.status, file.url).toBe(200);
      expect(file.url, 'a content hash in every name').toMatch(HASHED_NAME);
      expect(file.headers.get('cache-control')).toBe(IMMUTABLE);
      expect(file.text).not.toMatch(/https?:\/\/(?!127\.0\.0\.1|localhost)[\w.-]+\.(?:com|net|io|sh|dev)\/[\w@.-]+\.(?:js|css)/);
    }
    const css = files.find((f) => f.url.endsWith('.css'))!;
    expect(css.text, "uPlot's stylesheet is bundled").toContain('.u-legend');
    const script = files.find((f) => /\/main-\w+\.js$/.test(f.url))!;
    const br = await raw(script.url, { 'accept-encoding': 'br' });
    expect(br.headers['content-encoding']).toBe('br');
    expect(brotliDecompressSync(br.raw).toString()).toBe(script.text);
    expect((await raw(script.url, { 'if-none-match': script.headers.get('etag')!, 'accept-encoding': 'identity' })).status).toBe(304);
  });

  it('holds no data: the page is the same for everybody and the numbers need a key', async () => {
    expect(html).not.toMatch(/gp_|Bearer|uptime|requests/i);
    const anonymous = await server.request('{ metrics { http { requests } } }', { key: null });
    expect(anonymous.body.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  });
});

describe('GET /dashboard beside GraphiQL, in production', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ env: { NODE_ENV: 'production', LANDING_PAGE: 'graphiql' } });
  });
  afterAll(() => server?.stop());

  it('is served in production, and one /assets/ route serves both bundles', async () => {
    const dashboard = await pageOf(server);
    expect(dashboard.status).toBe(200);
    const dashboardFiles = await crawlPage(dashboardUrl(server), dashboard.raw.toString());
    expect(dashboardFiles.length).toBeGreaterThanOrEqual(2);
    for (const file of dashboardFiles) expect(file.status, file.url).toBe(200);

    const graphiql = await raw(server.url, { accept: BROWSER_ACCEPT });
    expect(graphiql.status).toBe(200);
    const graphiqlScript = graphiql.raw.toString().match(/src="(assets\/graphiql\/main-[A-Z0-9]{8}\.js)"/)?.[1];
    expect(graphiqlScript).toBeDefined();
    expect((await raw(new URL(graphiqlScript!, server.url).href, { 'accept-encoding': 'identity' })).status).toBe(200);
    expect((await raw(new URL('/assets/dashboard/main-AAAAAAAA.js', server.url).href)).status).toBe(404);
  });
});

describe('the dashboard bundle is built on the first request for the page, not at start', () => {
  const cacheRoot = mkdtempSync(join(tmpdir(), 'graphpulse-dashboard-cache-'));
  const logger = createLogger('silent');
  const assets = new AssetRoutes(logger);
  const dashboard = new DashboardPage(logger, assets, { cacheRoot });
  let server: Server;
  let base: string;
  beforeAll(async () => {
    server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      void (url.pathname === '/dashboard' ? dashboard.route(req, res, url) : assets.handle(req, res, url));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await dashboard.close();
    await new Promise((resolve) => server?.close(resolve));
    rmSync(cacheRoot, { recursive: true, force: true });
  });

  it('builds nothing until GET /dashboard, then builds once and serves the files', async () => {
    expect(existsSync(join(cacheRoot, 'dashboard'))).toBe(false);
    const [first, second] = await Promise.all([raw(`${base}/dashboard`), raw(`${base}/dashboard`)]);
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(second.headers.etag).toBe(first.headers.etag);
    expect(existsSync(join(cacheRoot, 'dashboard'))).toBe(true);
    const files = await crawlPage(`${base}/dashboard`, first.raw.toString());
    expect(files.map((f) => f.status)).toEqual(files.map(() => 200));
  });
});
