import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** What a request says about persisted queries: `extensions.persistedQuery` (Apollo's APQ, also used for trusted documents). */
export interface PersistedQueryRequest {
  hash: string;
  /** The query text sent with the hash (a registration), or null (hash only). */
  query: string | null;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return !!value && typeof value === 'object' && !Array.isArray(value);
}

/** The extensions of a POST JSON body or a GET's `extensions` parameter; null when absent or unreadable (Apollo reports those). */
function extensionsOf(req: IncomingMessage, url: URL, body: unknown): Record<string, unknown> | null {
  if (req.method === 'POST') return isRecord(body) && isRecord(body.extensions) ? body.extensions : null;
  const text = url.searchParams.get('extensions');
  if (!text) return null;
  try {
    const parsed: unknown = JSON.parse(text);
    return isRecord(parsed) ? parsed : null;
  } catch {
    return null;
  }
}

/** The query text a POST body or a GET carries, if any. */
export function plainQueryOf(req: IncomingMessage, url: URL, body: unknown): string | null {
  const query = req.method === 'POST' ? (isRecord(body) ? body.query : undefined) : url.searchParams.get('query');
  return typeof query === 'string' && query !== '' ? query : null;
}

/**
 * The persisted query a request carries: null when it carries none, an error message
 * when `extensions.persistedQuery` is malformed (version 1 with a string sha256Hash is
 * what Apollo Client sends). Apollo itself answers these with messages but no code;
 * refusing them here gives them the stable BAD_REQUEST.
 */
export function persistedQueryOf(req: IncomingMessage, url: URL, body: unknown): PersistedQueryRequest | { error: string } | null {
  const persisted = extensionsOf(req, url, body)?.persistedQuery;
  if (persisted === undefined || persisted === null) return null;
  if (!isRecord(persisted) || persisted.version !== 1)
    return { error: 'extensions.persistedQuery must be { version: 1, sha256Hash }: only version 1 is supported' };
  const hash = persisted.sha256Hash;
  if (typeof hash !== 'string' || hash === '' || hash.length > 256)
    return { error: 'extensions.persistedQuery.sha256Hash must be a non-empty string' };
  return { hash, query: plainQueryOf(req, url, body) };
}

/** Whether a registration's hash is not the sha256 (hex) of its query text; Apollo refuses those too, without a code. */
export function hashMismatch(persisted: PersistedQueryRequest): boolean {
  return persisted.query !== null && createHash('sha256').update(persisted.query).digest('hex') !== persisted.hash;
}

/**
 * The same request carrying `query` as plain text and no persisted-query extension (how a
 * trusted document found by its hash is handed on): the body for a POST, the search
 * parameters for a GET. The originals are not modified.
 */
export function withPlainQuery(req: IncomingMessage, url: URL, body: unknown, query: string): { url: URL; body: unknown } {
  if (req.method === 'POST') {
    const { extensions, ...rest } = isRecord(body) ? body : {};
    const { persistedQuery: _dropped, ...otherExtensions } = isRecord(extensions) ? extensions : {};
    return { url, body: { ...rest, query, ...(Object.keys(otherExtensions).length ? { extensions: otherExtensions } : {}) } };
  }
  const rewritten = new URL(url);
  rewritten.searchParams.set('query', query);
  const extensions = extensionsOf(req, url, body);
  if (extensions) {
    const { persistedQuery: _dropped, ...otherExtensions } = extensions;
    if (Object.keys(otherExtensions).length) rewritten.searchParams.set('extensions', JSON.stringify(otherExtensions));
    else rewritten.searchParams.delete('extensions');
  }
  return { url: rewritten, body };
}
