import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliDecompressSync } from 'node:zlib';
import { getIntrospectionQuery } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBundle } from '../src/assets/build-bundle.js';
import { bundleForServer } from '../src/assets/build-in-child.js';
import { GRAPHIQL_BUNDLE } from '../src/http/graphiql-page.js';
import { createLogger } from '../src/logger.js';
import { crawlPage, type CrawledFile } from './helpers/asset-crawl.js';
import { dataOf } from './helpers/graphql-client.js';
import { rawHttp } from './helpers/raw-http.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

/**
 * LANDING_PAGE over HTTP: the GraphiQL page and its assets (served by us, cached right,
 * nothing from a CDN), `off`, production, and the asset pipeline's build cache.
 * test/browser/graphiql.test.ts drives the same page in Chromium.
 */

const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';
/** Hosts pages commonly load code, styles or fonts from; none may appear in what we serve. */
const CDN_URL =
  /https?:\/\/(?:[\w-]+\.)*(?:unpkg\.com|jsdelivr\.net|esm\.sh|cdnjs\.cloudflare\.com|googleapis\.com|gstatic\.com|skypack\.dev|jspm\.io|cdn\.[\w.-]+)/i;
const HASHED_NAME = /-[A-Z0-9]{8}\.[a-z0-9]+(\.LEGAL\.txt)?$/;

/** node:http, not fetch: fetch would decompress bodies and hide Content-Encoding handling. */
const raw = (url: string, headers: Record<string, string> = {}, method = 'GET') => rawHttp(url, { method, headers });

const pageOf = (server: TestServer, headers: Record<string, string> = {}) => raw(server.url, { accept: BROWSER_ACCEPT, ...headers });

describe('LANDING_PAGE=graphiql', () => {
  let server: TestServer;
  let html: string;
  let files: CrawledFile[];

  beforeAll(async () => {
    server = await startTestServer({ env: { LANDING_PAGE: 'graphiql' } });
    const page = await pageOf(server);
    expect(page.status).toBe(200);
    html = page.raw.toString();
    files = await crawlPage(server.url, html);
  });
  afterAll(() => server?.stop());

  it('serves the page to a browser with no-cache and an ETag, and 304 to a current copy', async () => {
    const page = await pageOf(server);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['cache-control']).toBe('no-cache');
    expect(page.headers.etag).toMatch(/^"[\w-]{27}"$/);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(html).toMatch(/<script type="module" src="assets\/graphiql\/main-[A-Z0-9]{8}\.js"><\/script>/);

    const again = await pageOf(server, { 'if-none-match': page.headers.etag! });
    expect(again.status).toBe(304);
    expect(again.raw.length).toBe(0);
    expect(again.headers.etag).toBe(page.headers.etag);
  });

  it('loads every script, stylesheet, worker and font from this server, none from elsewhere', () => {
    const kinds = new Set(files.map((f) => f.headers.get('content-type')));
    expect(kinds).toEqual(new Set(['text/javascript; charset=utf-8', 'text/css; charset=utf-8', 'font/ttf']));
    expect(files.filter((f) => f.url.includes('/workers/')).length).toBe(3);
    for (const file of files) {
      expect(file.url.startsWith(new URL('/assets/graphiql/', server.url).href), file.url).toBe(true);
      expect(file.status, file.url).toBe(200);
      expect(file.text, `${file.url} names a CDN`).not.toMatch(CDN_URL);
    }
    expect(html).not.toMatch(/https?:\/\//);
  });

  it('serves hashed files as immutable, with strong ETags and 304 on If-None-Match', async () => {
    for (const file of files) {
      expect(file.url, 'a content hash in every name').toMatch(HASHED_NAME);
      expect(file.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(file.headers.get('etag')).toMatch(/^"[\w-]{27}"$/);
    }
    const script = files.find((f) => /\/main-\w+\.js$/.test(f.url))!;
    const again = await raw(script.url, { 'if-none-match': script.headers.get('etag')!, 'accept-encoding': 'identity' });
    expect(again.status).toBe(304);
    expect(again.raw.length).toBe(0);
    expect(again.headers['cache-control']).toBe('public, max-age=31536000, immutable');
  });

  it('sends precompressed brotli or gzip when accepted, each with its own ETag', async () => {
    const script = files.find((f) => /\/main-\w+\.js$/.test(f.url))!;
    const br = await raw(script.url, { 'accept-encoding': 'gzip, deflate, br' });
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers.vary).toBe('Accept-Encoding');
    expect(brotliDecompressSync(br.raw).toString()).toBe(script.text);
    expect(br.headers.etag).not.toBe(script.headers.get('etag'));
    expect((await raw(script.url, { 'accept-encoding': 'gzip, br;q=0' })).headers['content-encoding']).toBe('gzip');
    expect((await raw(script.url, { 'accept-encoding': 'br', 'if-none-match': br.headers.etag! })).status).toBe(304);
  });

  it('answers 404 for anything a build did not list, and 405 for other methods', async () => {
    const base = new URL('/assets/graphiql/', server.url).href;
    expect((await raw(`${base}manifest.json`)).status).toBe(404);
    expect((await raw(`${base}..%2F..%2Fpackage.json`)).status).toBe(404);
    expect((await raw(`${base}main-AAAAAAAA.js`)).status).toBe(404);
    expect((await raw(new URL('/assets/other/x.js', server.url).href)).status).toBe(404);
    expect((await raw(files[0].url, {}, 'POST')).status).toBe(405);
  });

  it('leaves the API as it was: POST and GET for JSON go to GraphQL', async () => {
    expect(dataOf(await server.request('{ stores(first: 1) { totalCount } }')).stores.totalCount).toBeGreaterThan(0);
    const get = await raw(`${server.url}?query=${encodeURIComponent('{ __typename }')}`, {
      accept: 'application/json',
      authorization: `Bearer ${server.adminKey}`,
      'apollo-require-preflight': 'true',
    });
    expect(get.status).toBe(200);
    expect(JSON.parse(get.raw.toString()).data).toEqual({ __typename: 'Query' });
  });

  it("takes the IDE's standard introspection query (TypeRef's 7 nested ofType cost no depth, schema reads no list multiplier)", async () => {
    const full = getIntrospectionQuery({
      descriptions: true,
      inputValueDeprecation: true,
      schemaDescription: true,
      specifiedByUrl: true,
      directiveIsRepeatable: true,
    });
    const response = await server.request(full);
    expect(dataOf(response).__schema.queryType.name).toBe('Query');
    expect(response.body.extensions?.cost).toMatchObject({ requested: 0 });
  });

  it('still refuses introspection that fans out deeper than the depth limit', async () => {
    const fanOut = '{ __schema { types { fields { type { fields { type { fields { type { fields { name } } } } } } } } } }';
    const response = await server.request(fanOut);
    expect(response.status).toBe(400);
    expect(response.body.errors?.[0].extensions).toMatchObject({ code: 'GRAPHQL_VALIDATION_FAILED', limit: 'depth' });
  });

  it('a later build with the same inputs comes from the cache, with the same files', async () => {
    const again = await buildBundle(GRAPHIQL_BUNDLE, { logger: createLogger('silent') });
    expect(again.fromCache).toBe(true);
    const main = again.manifest.entries.main.script;
    expect(files.some((f) => f.url.endsWith(`/${main}`))).toBe(true);
  });
});

describe('LANDING_PAGE unset outside production', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server?.stop());

  it('is Apollo Sandbox (loaded from Apollo), and serves no assets of ours', async () => {
    const page = await pageOf(server);
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.raw.toString()).toMatch(/embeddable-sandbox\.cdn\.apollographql\.com/);
    expect((await raw(new URL('/assets/graphiql/x.js', server.url).href)).status).toBe(404);
  });
});

describe('LANDING_PAGE=off', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ env: { LANDING_PAGE: 'off' } });
  });
  afterAll(() => server?.stop());

  it('gives a browser no page and serves no assets', async () => {
    const page = await pageOf(server);
    expect(page.headers['content-type']).not.toMatch(/text\/html/);
    expect(page.status).toBe(400);
    expect((await raw(new URL('/assets/graphiql/x.js', server.url).href)).status).toBe(404);
  });
});

describe('production', () => {
  let off: TestServer;
  let graphiql: TestServer;
  let viewerKey: string;
  beforeAll(async () => {
    off = await startTestServer({ env: { NODE_ENV: 'production' } });
    graphiql = await startTestServer({ env: { NODE_ENV: 'production', LANDING_PAGE: 'graphiql' }, databaseUrl: off.databaseUrl });
    const created = await off.request('mutation { createApiKey(name: "viewer", role: VIEWER) { key } }');
    viewerKey = dataOf(created).createApiKey.key;
  });
  afterAll(async () => {
    await graphiql?.stop();
    await off?.stop();
  });

  it('serves no landing page by default', async () => {
    const page = await pageOf(off);
    expect(page.headers['content-type']).not.toMatch(/text\/html/);
  });

  it('serves GraphiQL when enabled, and introspection still needs an ADMIN key', async () => {
    const page = await pageOf(graphiql);
    expect(page.status).toBe(200);
    expect(page.raw.toString()).toContain('assets/graphiql/main-');

    const introspection = '{ __schema { queryType { name } } }';
    const viewer = await graphiql.request(introspection, { key: viewerKey });
    expect(viewer.status).toBe(403);
    expect(viewer.body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect(dataOf(await graphiql.request(introspection)).__schema.queryType.name).toBe('Query');
  });
});

describe('asset pipeline build cache', () => {
  const root = mkdtempSync(join(tmpdir(), 'graphpulse-assets-test-'));
  const cacheRoot = join(root, 'cache');
  const spec = { name: 'probe', entries: { main: 'page/main.ts' } };
  const logger = createLogger('silent');
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('builds once, reuses the build while the sources are unchanged, and rebuilds after a change', async () => {
    const write = (file: string, text: string) => writeFileSync(join(root, 'page', file), text);
    rmSync(join(root, 'page'), { recursive: true, force: true });
    mkdirSync(join(root, 'page'), { recursive: true });
    write('main.ts', "import { greeting } from './greeting.js';\nimport './main.css';\ndocument.title = greeting;\n");
    write('greeting.ts', "export const greeting = 'one';\n");
    write('main.css', 'body { color: red; }\n');

    const first = await buildBundle(spec, { logger, root, cacheRoot });
    expect(first.fromCache).toBe(false);
    expect(first.manifest.entries.main.script).toMatch(/^main-[A-Z0-9]{8}\.js$/);
    expect(first.manifest.entries.main.styles).toEqual([expect.stringMatching(/^main-[A-Z0-9]{8}\.css$/)]);

    const second = await buildBundle(spec, { logger, root, cacheRoot });
    expect(second).toMatchObject({ fromCache: true, manifest: { key: first.manifest.key } });

    // A change in an imported file (not the entry) is an input too.
    write('greeting.ts', "export const greeting = 'two';\n");
    const third = await buildBundle(spec, { logger, root, cacheRoot });
    expect(third.fromCache).toBe(false);
    expect(third.manifest.key).not.toBe(first.manifest.key);
    expect(third.manifest.entries.main.script).not.toBe(first.manifest.entries.main.script);
    expect(third.manifest.entries.main.styles).toEqual(first.manifest.entries.main.styles);
  });

  it('for a server: builds in a child process, then finds the build without one', async () => {
    const otherCache = join(root, 'server-cache');
    const built = await bundleForServer(spec, { logger, root, cacheRoot: otherCache });
    expect(built.fromCache).toBe(false);
    expect(built.dir.startsWith(otherCache)).toBe(true);
    const again = await bundleForServer(spec, { logger, root, cacheRoot: otherCache });
    expect(again).toMatchObject({ fromCache: true, manifest: built.manifest, dir: built.dir });
  });

  it('a failing build rejects with the reason the child logged', async () => {
    const broken = { name: 'broken', entries: { main: 'page/missing.ts' } };
    await expect(bundleForServer(broken, { logger, root, cacheRoot: join(root, 'broken-cache') })).rejects.toThrow(
      /build process exited with code 1/,
    );
  });
});
