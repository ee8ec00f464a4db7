import type { IncomingMessage } from 'node:http';

/**
 * Whether If-None-Match names `etag` (or is `*`): the client's copy is current and gets
 * 304. Weak comparison, as RFC 9110 §13.1.2 asks for GET and HEAD: a `W/` prefix is
 * ignored.
 */
export function clientHasCurrent(req: IncomingMessage, etag: string): boolean {
  const header = req.headers['if-none-match'];
  if (!header) return false;
  const bare = (tag: string) => tag.trim().replace(/^W\//, '');
  return header.split(',').some((tag) => tag.trim() === '*' || bare(tag) === bare(etag));
}
