import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AssetRoutes } from '../../src/assets/asset-routes.js';
import type { BuiltBundle } from '../../src/assets/bundle-spec.js';
import { htmlPage, sendHtml } from '../../src/assets/html-response.js';
import type { Logger } from '../../src/logger.js';

export interface StaticPageServer {
  /** http://host:port — the page's origin. */
  origin: string;
  stop(): Promise<void>;
}

/**
 * A tiny web server of another origin than the API: `/` is an HTML page running the
 * bundle's `main` entry, `/assets/...` its files, served by the same code as the API's
 * own pages (src/assets).
 */
export async function startStaticPageServer(bundle: BuiltBundle, logger: Logger, host = '127.0.0.1'): Promise<StaticPageServer> {
  const assets = new AssetRoutes(logger);
  assets.add(bundle);
  const main = bundle.manifest.entries.main;
  const page = htmlPage(
    `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${bundle.manifest.name}</title>
${main.styles.map((style) => `<link rel="stylesheet" href="${assets.urlOf(bundle.manifest.name, style)}">`).join('\n')}
<script type="module" src="${assets.urlOf(bundle.manifest.name, main.script)}"></script>
</head>
<body></body>
</html>
`,
  );
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/') return sendHtml(req, res, page);
    if (url.pathname.startsWith(assets.prefix)) {
      assets.handle(req, res, url).catch((error: unknown) => {
        logger.error({ err: error, path: url.pathname }, 'static page server: asset failed');
        res.destroy();
      });
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found');
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, host, () => resolve()));
  return {
    origin: `http://${host}:${(server.address() as AddressInfo).port}`,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
