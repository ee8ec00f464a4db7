import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApolloServer } from '@apollo/server';
import type { Principal } from '../auth/principal.js';
import { scopeKey } from '../auth/principal.js';
import { createRequestContext, type RequestContext } from '../context.js';
import { GRAPHQL_VARY, prefersLandingPage, singleResultContentType } from '../http/response-content-type.js';
import { grantsOf } from '../auth/role-grants.js';
import { chooseEncoding } from '../http/accept-encoding.js';
import { clientHasCurrent } from '../http/conditional-request.js';
import type { Services } from '../services.js';
import type { OperationCache, OperationHit } from './operation-cache.js';
import { bodyFor, codingsFor, operationHash } from './operation-entry.js';

export interface GraphqlParams {
  query: string;
  variables: Record<string, unknown> | undefined;
  operationName: string | undefined;
}

/** A document that starts with `mutation` is never served from stored bytes. */
const MUTATION = /^\s*mutation\b/;
/** Stored operations are dashboard reads; a body this large (e.g. an ingested batch) is never one. */
const MAX_HOT_BODY_BYTES = 16 * 1024;

/**
 * The operation a request carries, when it is one the hot path can serve; otherwise null
 * (Apollo decides). `registered` is the text of a hash-only persisted query, looked up by
 * the caller in Apollo's APQ store: such a request is served exactly like a full one.
 */
export function hotPathParams(req: IncomingMessage, url: URL, body: unknown, bodyBytes = 0, registered?: string): GraphqlParams | null {
  if (bodyBytes > MAX_HOT_BODY_BYTES) return null;
  const params = readParams(req, url, body, registered);
  // Only queries are ever stored: a mutation is not worth hashing its variables for.
  return params && !MUTATION.test(params.query) ? params : null;
}

function readParams(req: IncomingMessage, url: URL, body: unknown, registered: string | undefined): GraphqlParams | null {
  if (req.method === 'POST') {
    if (!body || typeof body !== 'object' || Array.isArray(body)) return null;
    const { variables, operationName } = body as Record<string, unknown>;
    const query = (body as Record<string, unknown>).query ?? registered;
    if (typeof query !== 'string' || (variables !== undefined && (typeof variables !== 'object' || Array.isArray(variables)))) return null;
    return {
      query,
      variables: (variables ?? undefined) as GraphqlParams['variables'],
      operationName: typeof operationName === 'string' ? operationName : undefined,
    };
  }
  if (req.method !== 'GET') return null;
  // Apollo's CSRF prevention (src/http/apollo.ts): a GET must carry a header a browser form
  // cannot send. Authorization is one (it forces a CORS preflight), and every request that
  // reaches the hot path has it; the check stays so the two rules cannot drift apart.
  if (!req.headers.authorization && !req.headers['apollo-require-preflight'] && !req.headers['x-apollo-operation-name']) return null;
  const query = url.searchParams.get('query') ?? registered;
  if (!query) return null;
  try {
    const variables = url.searchParams.get('variables');
    return {
      query,
      variables: variables ? JSON.parse(variables) : undefined,
      operationName: url.searchParams.get('operationName') ?? undefined,
    };
  } catch {
    return null;
  }
}

/** The entry in the best coding the client accepts (br, then gzip; compressed on the first such hit), else plain. */
function pickEncoding(accept: string | string[] | undefined, hit: OperationHit): { encoding: 'br' | 'gzip' | null; body: Buffer } {
  const encoding = chooseEncoding(accept, codingsFor(hit.entry));
  return { encoding, body: bodyFor(hit.entry, encoding) };
}

/**
 * Serves fully cached operations before Apollo from stored bytes: no parse, no
 * validation, no execution. The caller was already authenticated and rate-limited by
 * the handler; everything else (scope, role, metrics, request id) is kept here.
 */
export class HotPath {
  private readonly refreshing = new Set<string>();

  constructor(
    private readonly operations: OperationCache,
    private readonly apollo: ApolloServer<RequestContext>,
    private readonly services: Services,
  ) {}

  async tryServe(
    req: IncomingMessage,
    res: ServerResponse,
    params: GraphqlParams,
    principal: Principal,
    requestId: string,
  ): Promise<boolean> {
    if (!grantsOf(principal.role).reader) return false;
    // Answer as Apollo would: the same Content-Type. A GET preferring HTML (Apollo's landing
    // page, when one is on) and an Accept Apollo refuses (406) are left to Apollo.
    if (prefersLandingPage(req.method, req.headers.accept)) return false;
    const contentType = singleResultContentType(req.headers.accept);
    if (!contentType) return false;
    const started = performance.now();
    const hash = operationHash(params.query, params.variables, params.operationName);
    const hit = await this.operations.lookup(hash, principal);
    if (!hit) return false;
    if (hit.stale) this.refresh(hash, params, principal);
    this.operations.countHit(hit.entry, hit.stale);
    const headers: Record<string, string> = {
      'x-request-id': requestId,
      'x-cache': 'HIT',
      etag: hit.entry.etag,
      // Every request carries a key: the browser's own cache may keep the answer and revalidate it (304), shared caches never.
      'cache-control': `private, max-age=${hit.maxAge}`,
      vary: GRAPHQL_VARY,
      age: String(hit.age),
    };
    let status = 200;
    if (clientHasCurrent(req, hit.entry.etag)) {
      status = 304;
      res.writeHead(304, headers);
      res.end();
    } else {
      const { encoding, body } = pickEncoding(req.headers['accept-encoding'], hit);
      if (encoding) headers['content-encoding'] = encoding;
      headers['content-type'] = contentType;
      headers['content-length'] = String(body.length);
      res.writeHead(200, headers);
      res.end(body);
    }
    this.services.logger.info(
      {
        requestId,
        operationName: params.operationName ?? null,
        durationMs: Math.round((performance.now() - started) * 100) / 100,
        status,
        cache: 'operation',
        stale: hit.stale,
        key: principal.keyId,
      },
      'graphql request',
    );
    this.services.hotPathListener?.({ status, stale: hit.stale, durationMs: performance.now() - started, cost: hit.entry.cost });
    return true;
  }

  /** Stale-while-revalidate for operation entries: one re-execution per entry, through Apollo, storing a fresh entry. */
  private refresh(hash: string, params: GraphqlParams, principal: Principal): void {
    const id = `${hash}:${scopeKey(principal)}`;
    if (this.refreshing.has(id)) return;
    this.refreshing.add(id);
    const contextValue = createRequestContext(this.services, principal, `refresh-${hash.slice(0, 8)}`);
    this.apollo
      .executeOperation({ query: params.query, variables: params.variables, operationName: params.operationName }, { contextValue })
      .catch((error: unknown) =>
        this.services.logger.error({ err: error, operation: params.operationName }, 'operation refresh failed; serving the stale entry'),
      )
      .finally(() => this.refreshing.delete(id));
  }
}
