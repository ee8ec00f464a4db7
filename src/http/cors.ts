import type { IncomingMessage, ServerResponse } from 'node:http';
import { LRUCache } from 'lru-cache';
import type { Logger } from '../logger.js';
import { isSameOrigin, originAllowed, type OriginPattern } from '../origin-patterns.js';

/** How long a browser may reuse a preflight answer (s); browsers cap it (Chromium at 2 h). */
export const PREFLIGHT_MAX_AGE_SECONDS = 600;
/** Response headers a page may read: cache state, revalidation, request ids and rate-limit hints. */
export const EXPOSED_HEADERS = 'X-Cache, ETag, Age, X-Request-Id, Retry-After, X-Instance-Id';
const ALLOWED_METHODS = 'GET, POST, OPTIONS';
/** Sent when a preflight names no headers (or names them in a form we do not echo). */
const DEFAULT_ALLOWED_HEADERS = 'Authorization, Content-Type, Apollo-Require-Preflight, X-Apollo-Operation-Name, X-Request-Id';
const HEADER_LIST = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+(\s*,\s*[A-Za-z0-9!#$%&'*+.^_`|~-]+)*$/;
/** Refused origins are logged once each; beyond this many distinct ones (junk) the oldest may be logged again. */
const REMEMBERED_REFUSALS = 1_000;

export type CorsVerdict = 'no-origin' | 'same-origin' | 'allowed' | 'refused';

/**
 * CORS for every route, decided from CORS_ORIGINS (src/config.ts). Requests without an
 * Origin (servers, scripts) and same-origin pages need nothing. An allowed cross-origin
 * request gets its Origin echoed, never credentials (keys travel in the Authorization
 * header, not cookies), and the headers it may read; a preflight is answered here with
 * 204. A refused origin gets no CORS headers at all (its preflight 403), so the browser
 * keeps the response from the page; each refused origin is logged once.
 */
export class CorsPolicy {
  private readonly refusalsLogged = new LRUCache<string, true>({ max: REMEMBERED_REFUSALS });

  constructor(
    private readonly patterns: readonly OriginPattern[],
    private readonly logger: Logger,
  ) {}

  /** Who is calling; logs the first refusal of each origin. */
  verdict(req: IncomingMessage): CorsVerdict {
    const origin = req.headers.origin;
    if (!origin) return 'no-origin';
    if (isSameOrigin(origin, req.headers.host)) return 'same-origin';
    if (originAllowed(origin, this.patterns)) return 'allowed';
    if (!this.refusalsLogged.has(origin)) {
      this.refusalsLogged.set(origin, true);
      this.logger.warn(
        { origin, path: req.url?.split('?')[0] },
        'cross-origin request from an origin not in CORS_ORIGINS: sent without CORS headers (logged once per origin)',
      );
    }
    return 'refused';
  }

  /**
   * Sets the CORS headers of this request's response and answers a preflight itself.
   * Returns true when the response is complete (a preflight), false when the route runs.
   */
  apply(req: IncomingMessage, res: ServerResponse): boolean {
    const verdict = this.verdict(req);
    // Every answer depends on Origin once CORS is in play: shared caches must keep them apart.
    res.setHeader('vary', 'Origin');
    const preflight = req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined;
    if (verdict === 'allowed') {
      res.setHeader('access-control-allow-origin', req.headers.origin!);
      res.setHeader('access-control-expose-headers', EXPOSED_HEADERS);
    }
    if (!preflight || verdict === 'no-origin' || verdict === 'same-origin') return false;
    if (verdict === 'refused') {
      res.writeHead(403);
      res.end();
      return true;
    }
    const requested = req.headers['access-control-request-headers'];
    res.writeHead(204, {
      vary: 'Origin, Access-Control-Request-Headers',
      'access-control-allow-methods': ALLOWED_METHODS,
      // Echoing what was asked lets clients send their own headers (Apollo's client name, tracing ids).
      'access-control-allow-headers': requested && HEADER_LIST.test(requested.trim()) ? requested.trim() : DEFAULT_ALLOWED_HEADERS,
      'access-control-max-age': String(PREFLIGHT_MAX_AGE_SECONDS),
      'content-length': '0',
    });
    res.end();
    return true;
  }
}
