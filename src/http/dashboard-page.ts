import type { ServerResponse } from 'node:http';
import type { AssetRoutes } from '../assets/asset-routes.js';
import type { BundleManifest, BundleSpec } from '../assets/bundle-spec.js';
import { htmlPage, sendHtml, type HtmlPage } from '../assets/html-response.js';
import type { Logger } from '../logger.js';
import type { RouteHandler } from './server.js';

export const DASHBOARD_ROUTE = '/dashboard';

/** The operations dashboard's code (web/dashboard) with uPlot, bundled from our own dependencies. */
export const DASHBOARD_BUNDLE: BundleSpec = { name: 'dashboard', entries: { main: 'web/dashboard/main.ts' } };

/**
 * Everything comes from this server: the page's script and stylesheet, the API over HTTP
 * and its WebSocket. uPlot sizes its elements through the CSSOM (element.style), which a
 * policy without 'unsafe-inline' allows, so styles stay 'self' only.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const escapeHtml = (text: string) => text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

/**
 * The HTML of GET /dashboard. Its URLs are relative to the page (assets/…, and the script
 * talks to "graphql"), so it keeps working behind a proxy that mounts the API under a prefix.
 */
export function renderDashboardPage(manifest: BundleManifest, assetBase: string): HtmlPage {
  const main = manifest.entries.main;
  if (!main) throw new Error(`bundle ${manifest.name} has no "main" entry`);
  const url = (path: string) => escapeHtml(assetBase + path);
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>graphpulse · dashboard</title>
${main.styles.map((style) => `<link rel="stylesheet" href="${url(style)}">`).join('\n')}
<script type="module" src="${url(main.script)}"></script>
</head>
<body>
<main id="dashboard" data-endpoint="graphql"><p class="boot">Loading the dashboard…</p></main>
<noscript>The dashboard needs JavaScript.</noscript>
</body>
</html>
`;
  return htmlPage(html, { 'content-security-policy': CONTENT_SECURITY_POLICY, 'referrer-policy': 'no-referrer' });
}

function sendText(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', ...headers });
  res.end(text);
}

/**
 * GET /dashboard, in every environment: the page itself is static and holds no data;
 * every number on it comes from the public API with the ADMIN key the person types in.
 *
 * The bundle is built (or found in node_modules/.cache) on the first request for the page,
 * not at start: a server nobody opens the dashboard on never loads esbuild nor spawns a
 * build. A cold build takes a few seconds in a child process (src/assets/build-in-child.ts);
 * later starts find the cached build in milliseconds. Its files are served by the shared
 * AssetRoutes under /assets/dashboard/.
 */
export class DashboardPage {
  private readonly abort = new AbortController();
  private page: Promise<HtmlPage> | null = null;

  constructor(
    private readonly logger: Logger,
    private readonly assets: AssetRoutes,
    private readonly options: { cacheRoot?: string } = {},
  ) {}

  private async build(): Promise<HtmlPage> {
    // Loaded on first use: esbuild is only needed once somebody opens the dashboard.
    const { bundleForServer } = await import('../assets/build-in-child.js');
    const bundle = await bundleForServer(DASHBOARD_BUNDLE, {
      logger: this.logger,
      cacheRoot: this.options.cacheRoot,
      signal: this.abort.signal,
    });
    this.assets.add(bundle);
    if (bundle.fromCache) this.logger.debug({ key: bundle.manifest.key }, 'dashboard bundle reused from the cache');
    return renderDashboardPage(bundle.manifest, `${this.assets.prefix.slice(1)}${bundle.manifest.name}/`);
  }

  /** The page, building it on the first call; a failed build is logged once and answered 503 after. */
  private pageOnce(): Promise<HtmlPage> {
    if (!this.page) {
      this.page = this.build();
      this.page.catch((error: unknown) => {
        if (this.abort.signal.aborted) return;
        this.logger.error({ err: error }, 'the dashboard page could not be built: GET /dashboard answers 503');
      });
    }
    return this.page;
  }

  readonly route: RouteHandler = async (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendText(res, 405, 'Method not allowed', { allow: 'GET, HEAD' });
      return;
    }
    let page: HtmlPage;
    try {
      page = await this.pageOnce();
    } catch (error) {
      sendText(
        res,
        503,
        `The dashboard page could not be built (${error instanceof Error ? error.message : String(error)}); see the server log.`,
      );
      return;
    }
    sendHtml(req, res, page);
  };

  /** Cancels a build still running (a stop right after the first request); nothing else to release. */
  async close(): Promise<void> {
    this.abort.abort();
    await this.page?.then(
      () => undefined,
      () => undefined,
    );
  }
}
