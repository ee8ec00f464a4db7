/**
 * Follows every file a page loads, the way a browser would, starting from its HTML:
 * <script src>, <link href>, the JSON config's worker URLs, then the relative imports of
 * each script (static and dynamic, as esbuild writes them) and the url(...) of each
 * stylesheet. Used to check that everything is served, and served from us.
 */
export interface CrawledFile {
  url: string;
  status: number;
  headers: Headers;
  text: string;
}

const HTML_REFERENCES = /(?:src|href)="([^"]+)"/g;
const JSON_CONFIG = /<script type="application\/json"[^>]*>([^<]*)<\/script>/g;
/** "./chunks/chunk-ABC.js" in `from"…"`, `import("…")` or `import"…"` of minified ESM. */
const SCRIPT_IMPORTS = /(?:from|import)\s*\(?\s*["'](\.{1,2}\/[^"']+\.(?:js|css))["']/g;
const STYLE_URLS = /url\(\s*["']?([^"')]+)["']?\s*\)/g;

function stringsIn(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (value && typeof value === 'object') return Object.values(value).flatMap(stringsIn);
  return [];
}

export function referencesOfHtml(html: string, pageUrl: string): string[] {
  const found = [...html.matchAll(HTML_REFERENCES)].map((m) => m[1]);
  for (const [, json] of html.matchAll(JSON_CONFIG)) found.push(...stringsIn(JSON.parse(json)).filter((s) => /\.(js|css)$/.test(s)));
  return found.map((ref) => new URL(ref, pageUrl).href);
}

function referencesOf(file: CrawledFile): string[] {
  const type = file.headers.get('content-type') ?? '';
  const pattern = type.startsWith('text/javascript') ? SCRIPT_IMPORTS : type.startsWith('text/css') ? STYLE_URLS : null;
  if (!pattern) return [];
  return [...file.text.matchAll(pattern)]
    .map((m) => m[1])
    .filter((ref) => !ref.startsWith('data:'))
    .map((ref) => new URL(ref, file.url).href);
}

export async function crawlPage(pageUrl: string, html: string): Promise<CrawledFile[]> {
  const seen = new Map<string, CrawledFile>();
  const queue = referencesOfHtml(html, pageUrl);
  while (queue.length) {
    const url = queue.shift()!;
    if (seen.has(url)) continue;
    const response = await fetch(url, { headers: { 'accept-encoding': 'identity' } });
    const file: CrawledFile = { url, status: response.status, headers: response.headers, text: await response.text() };
    seen.set(url, file);
    queue.push(...referencesOf(file));
  }
  return [...seen.values()];
}
