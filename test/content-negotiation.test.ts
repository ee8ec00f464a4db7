import { request as httpRequest } from 'node:http';
import { print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreCardDocument } from './generated/graphql.js';
import { lastDays } from './helpers/dates.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

/**
 * The hot path answers with the Content-Type Apollo gives the same request: each Accept
 * variant is sent twice with an operation of its own, so the first answer is Apollo's
 * and the second the hot path's, and the two must agree.
 */

const JSON_TYPE = 'application/json; charset=utf-8';
const GRAPHQL_RESPONSE = 'application/graphql-response+json; charset=utf-8';

interface Answer {
  status: number;
  contentType: string | undefined;
  vary: string | undefined;
  body: string;
}

let server: TestServer;

/** node:http, not fetch: fetch sends an Accept of any type when none is given, and "no Accept" is one of the cases. */
function send(method: 'GET' | 'POST', variables: Record<string, unknown>, accept: string | undefined): Promise<Answer> {
  const query = print(StoreCardDocument);
  const url = new URL(server.url);
  if (method === 'GET') {
    url.searchParams.set('query', query);
    url.searchParams.set('variables', JSON.stringify(variables));
  }
  const body = method === 'POST' ? JSON.stringify({ query, variables }) : undefined;
  const headers: Record<string, string> = { authorization: `Bearer ${server.adminKey}`, 'apollo-require-preflight': 'true' };
  if (body) headers['content-type'] = 'application/json';
  if (accept !== undefined) headers.accept = accept;
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          contentType: res.headers['content-type'],
          vary: res.headers.vary,
          body: Buffer.concat(chunks).toString(),
        }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

const isHotHit = (answer: Answer) => JSON.parse(answer.body).extensions?.cache?.operation === true;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.stop());

/** [Accept header (undefined: none), the type Apollo 5 chooses]. */
const VARIANTS: Array<[string | undefined, string]> = [
  [undefined, JSON_TYPE],
  ['*/*', JSON_TYPE],
  ['application/json', JSON_TYPE],
  ['application/graphql-response+json', GRAPHQL_RESPONSE],
  ['application/graphql-response+json, application/json;q=0.9', GRAPHQL_RESPONSE],
  ['application/json, application/graphql-response+json', JSON_TYPE],
  ['application/json;q=0.5, application/graphql-response+json', GRAPHQL_RESPONSE],
  ['application/*', JSON_TYPE],
];
/** A GET preferring HTML gets Apollo's landing page instead (below); a POST never does. */
const PREFERS_HTML = 'text/html, application/graphql-response+json;q=0.8, */*;q=0.1';

describe.each(['POST', 'GET'] as const)('%s: the hot path follows Accept as Apollo does', (method) => {
  const variants = method === 'POST' ? [...VARIANTS, [PREFERS_HTML, GRAPHQL_RESPONSE] as [string, string]] : VARIANTS;
  it.each(variants.map(([accept, type], i) => [accept ?? '(none)', accept, type, i] as const))(
    'Accept %s',
    async (_label, accept, expected, i) => {
      // An operation of its own (its range) per variant and method: the first request runs through Apollo.
      const variables = { id: '1', range: lastDays(method === 'POST' ? 40 + i : 60 + i) };
      const apollo = await send(method, variables, accept);
      const hot = await send(method, variables, accept);
      expect(apollo.status, apollo.body).toBe(200);
      expect(hot.status, hot.body).toBe(200);
      expect(isHotHit(apollo)).toBe(false);
      expect(isHotHit(hot), 'the second request is a hot-path hit').toBe(true);
      expect(apollo.contentType).toBe(expected);
      expect(hot.contentType).toBe(apollo.contentType);
      expect(hot.vary).toMatch(/\bAccept\b/);
    },
  );
});

describe('requests Apollo does not answer with a result', () => {
  it('a GET preferring HTML gets the landing page although the operation is stored', async () => {
    const variables = { id: '2', range: lastDays(34) };
    await send('GET', variables, 'application/json');
    expect(isHotHit(await send('GET', variables, 'application/json'))).toBe(true);
    const page = await send('GET', variables, PREFERS_HTML);
    expect(page.status).toBe(200);
    expect(page.contentType).toMatch(/^text\/html/);
  });

  it('an Accept Apollo refuses is refused (406) on a stored operation too', async () => {
    const variables = { id: '2', range: lastDays(33) };
    await send('POST', variables, undefined);
    expect(isHotHit(await send('POST', variables, undefined))).toBe(true);
    const refused = await send('POST', variables, 'text/plain');
    expect(refused.status).toBe(406);
    expect(refused.body).toMatch(/accept/i);
  });
});
