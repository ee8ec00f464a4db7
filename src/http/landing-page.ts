import type { ServerResponse } from 'node:http';
import { AssetRoutes } from '../assets/asset-routes.js';
import { sendHtml, type HtmlPage } from '../assets/html-response.js';
import type { LandingPage } from '../config.js';
import type { Logger } from '../logger.js';
import { GRAPHIQL_BUNDLE, renderGraphiqlPage } from './graphiql-page.js';
import { prefersLandingPage } from './response-content-type.js';
import type { RouteHandler } from './server.js';

/** The route under which bundles are served (server.ts matches `/<first segment>/*`). */
export const ASSETS_ROUTE = '/assets/*';

function sendUnavailable(res: ServerResponse, message: string): void {
  res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
  res.end(message);
}

/**
 * LANDING_PAGE=graphiql: GraphiQL built from our own dependencies and served by this
 * server — the page on GET /graphql for a browser, its files under /assets/graphiql/. The
 * bundle is built in the background from the start (esbuild in a child process, cached
 * across starts in node_modules/.cache: src/assets/build-in-child.ts), so the server
 * listens at once; a browser arriving before the build ends waits for it. The page needs no key; every
 * operation it sends does (introspection too: ADMIN only in production).
 */
export class GraphiqlLandingPage {
  readonly assets: AssetRoutes;
  private readonly abort = new AbortController();
  private readonly page: Promise<HtmlPage>;

  constructor(
    private readonly logger: Logger,
    options: { cacheRoot?: string; assets?: AssetRoutes } = {},
  ) {
    // Shared with the dashboard when given: one /assets/* route serves every bundle.
    this.assets = options.assets ?? new AssetRoutes(logger);
    this.page = this.build(options.cacheRoot);
    this.page.catch((error: unknown) => {
      if (this.abort.signal.aborted) return;
      logger.error({ err: error }, 'the GraphiQL page could not be built: a browser opening /graphql gets 503');
    });
  }

  private async build(cacheRoot: string | undefined): Promise<HtmlPage> {
    // Loaded here, not at start: esbuild is only needed when this page is on.
    const { bundleForServer } = await import('../assets/build-in-child.js');
    const bundle = await bundleForServer(GRAPHIQL_BUNDLE, { logger: this.logger, cacheRoot, signal: this.abort.signal });
    this.assets.add(bundle);
    if (bundle.fromCache) this.logger.debug({ key: bundle.manifest.key }, 'GraphiQL bundle reused from the cache');
    // Relative to the page at /graphql: works under a proxy's path prefix too.
    return renderGraphiqlPage(bundle.manifest, `${this.assets.prefix.slice(1)}${bundle.manifest.name}/`);
  }

  /** Wraps the /graphql route: a GET preferring HTML gets the page, everything else goes on to `next`. */
  route(next: RouteHandler): RouteHandler {
    return async (req, res, url) => {
      if (!prefersLandingPage(req.method, req.headers.accept)) return next(req, res, url);
      let page: HtmlPage;
      try {
        page = await this.page;
      } catch (error) {
        // Logged once when the build failed (constructor); each request only says so.
        sendUnavailable(
          res,
          `The GraphiQL page could not be built (${error instanceof Error ? error.message : String(error)}); see the server log.`,
        );
        return;
      }
      sendHtml(req, res, page);
    };
  }

  /** Cancels a build still running (a stop right after start); a finished one has nothing to release. */
  async close(): Promise<void> {
    this.abort.abort();
    // A failure was logged by the constructor's handler; stopping only waits for the build to end.
    await this.page.then(
      () => undefined,
      () => undefined,
    );
  }
}

/** The page our HTTP layer serves itself, or null when Apollo's (sandbox) or none (off) is configured. */
export function createLandingPage(choice: LandingPage, logger: Logger, assets?: AssetRoutes): GraphiqlLandingPage | null {
  return choice === 'graphiql' ? new GraphiqlLandingPage(logger, { assets }) : null;
}
