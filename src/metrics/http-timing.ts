import type { RouteHandler } from '../http/server.js';
import type { HttpRecorder } from './http-recorder.js';

/**
 * Times a route from its start to the end of its handler (the response has been ended
 * by then), with its final status: it sees every request — hot-path answers, Apollo's,
 * and refusals (bad JSON, unknown key, rate limit) that neither reaches.
 */
export function timeRoute(handler: RouteHandler, http: HttpRecorder): RouteHandler {
  return async (req, res, url) => {
    const started = performance.now();
    try {
      await handler(req, res, url);
    } catch (error) {
      // The server answers a throwing handler with 500 (http/server.ts).
      http.request(500, performance.now() - started);
      throw error;
    }
    http.request(res.statusCode, performance.now() - started);
  };
}
