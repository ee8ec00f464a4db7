import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { clientHasCurrent } from '../http/conditional-request.js';

/** A page whose bytes are fixed once rendered: its ETag is computed once too. */
export interface HtmlPage {
  readonly html: string;
  readonly etag: string;
  /** Extra response headers, e.g. a Content-Security-Policy. */
  readonly headers: Readonly<Record<string, string>>;
}

export function htmlPage(html: string, headers: Record<string, string> = {}): HtmlPage {
  return { html, etag: `"${createHash('sha256').update(html).digest('base64url').slice(0, 27)}"`, headers };
}

/**
 * Sends an HTML page that names hashed assets: `no-cache`, so the browser revalidates on
 * each visit (and learns new asset names after a deploy), with an ETag so a current copy
 * costs a 304 and no body.
 */
export function sendHtml(req: IncomingMessage, res: ServerResponse, page: HtmlPage): void {
  const headers = {
    'cache-control': 'no-cache',
    etag: page.etag,
    'x-content-type-options': 'nosniff',
    ...page.headers,
  };
  if (clientHasCurrent(req, page.etag)) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  const body = Buffer.from(page.html);
  res.writeHead(200, { ...headers, 'content-type': 'text/html; charset=utf-8', 'content-length': String(body.length) });
  res.end(req.method === 'HEAD' ? undefined : body);
}
