import { htmlPage, type HtmlPage } from '../assets/html-response.js';
import type { BundleManifest, BundleSpec } from '../assets/bundle-spec.js';

/** The GraphiQL page's code (web/graphiql) and Monaco's language workers, bundled from our own dependencies. */
export const GRAPHIQL_BUNDLE: BundleSpec = {
  name: 'graphiql',
  entries: { main: 'web/graphiql/main.tsx' },
  workers: {
    editor: 'node_modules/monaco-editor/esm/vs/editor/editor.worker.js',
    json: 'node_modules/monaco-editor/esm/vs/language/json/json.worker.js',
    graphql: 'node_modules/monaco-graphql/esm/graphql.worker.js',
  },
};

/**
 * Everything the page loads comes from this server: scripts, styles, fonts (inlined or
 * files of the bundle), workers, the API and its WebSocket. Monaco styles elements
 * inline, hence 'unsafe-inline' for styles only.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "worker-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "font-src 'self' data:",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const escapeHtml = (text: string) => text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
/** JSON inside <script>: no "</script>" or "<!--" can end it early. */
const scriptJson = (value: unknown) => JSON.stringify(value).replace(/</g, '\\u003c');

/**
 * The HTML of GET /graphql for a browser. URLs are relative to the page (/graphql), so
 * the page keeps working behind a proxy that mounts the API under a path prefix.
 * `assetBase` is where the bundle is served, e.g. "assets/graphiql/".
 */
export function renderGraphiqlPage(manifest: BundleManifest, assetBase: string): HtmlPage {
  const main = manifest.entries.main;
  if (!main) throw new Error(`bundle ${manifest.name} has no "main" entry`);
  const url = (path: string) => escapeHtml(assetBase + path);
  const { editor, json, graphql } = manifest.workers;
  if (!editor || !json || !graphql) throw new Error(`bundle ${manifest.name} lacks a Monaco worker (editor, json, graphql)`);
  const config = { endpoint: 'graphql', workers: { editor: assetBase + editor, json: assetBase + json, graphql: assetBase + graphql } };
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>graphpulse · GraphiQL</title>
${main.styles.map((style) => `<link rel="stylesheet" href="${url(style)}">`).join('\n')}
<script type="application/json" id="graphiql-config">${scriptJson(config)}</script>
<script type="module" src="${url(main.script)}"></script>
</head>
<body>
<div id="graphiql"></div>
</body>
</html>
`;
  return htmlPage(html, { 'content-security-policy': CONTENT_SECURITY_POLICY, 'referrer-policy': 'no-referrer' });
}
