import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../src/config.js';
import { StoreCardDocument } from './generated/graphql.js';
import { TEST_ADMIN_KEY } from './helpers/constants.js';
import { lastDays } from './helpers/dates.js';
import { rawHttp, type RawHttpResponse } from './helpers/raw-http.js';
import { startServerWithViewer } from './helpers/api-keys.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

/**
 * TRUSTED_DOCUMENTS on a listening server: only the manifest's operations run for keys
 * other than ADMIN, named by hash or sent as (reformatted) text; anything else is 400
 * PERSISTED_QUERY_NOT_FOUND before it is parsed; a bad manifest stops the start.
 */

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const STORE_CARD = print(StoreCardDocument);
const STORE_COUNT = '{ stores(first: 1) { totalCount } }';
/** The same operation as STORE_CARD, written differently: identical once printed. */
const STORE_CARD_REFORMATTED = `query StoreCard($id: ID!, $range: DateRange!) { store(id: $id) { id, name,
  revenue(range: $range) {total orders points{period revenue}}
  topProducts(range:$range,limit:3){revenue unitsSold} } }`;
const CUSTOM_KEY = 'store-count-v1';

const dir = mkdtempSync(join(tmpdir(), 'graphpulse-trusted-'));
function manifestFile(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}
const goodManifest = manifestFile(
  'persisted-documents.json',
  JSON.stringify({ [sha256(STORE_CARD)]: STORE_CARD, [CUSTOM_KEY]: STORE_COUNT }),
);

let server: TestServer;
let viewerKey: string;
beforeAll(async () => {
  // An ADMIN key is exempt: creating the viewer key is an operation outside the manifest.
  ({ server, viewerKey } = await startServerWithViewer({ env: { TRUSTED_DOCUMENTS: goodManifest } }, 'trusted viewer'));
});
afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const variables = (days: number) => ({ id: '1', range: lastDays(days) });

function post(body: Record<string, unknown>, key: string | null = viewerKey): Promise<RawHttpResponse> {
  return rawHttp(server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body: JSON.stringify(body),
  });
}

function get(params: Record<string, unknown>, key: string = viewerKey): Promise<RawHttpResponse> {
  const search = new URLSearchParams(
    Object.entries(params).map(([name, value]): [string, string] => [name, typeof value === 'string' ? value : JSON.stringify(value)]),
  );
  return rawHttp(`${server.url}?${search}`, { headers: { authorization: `Bearer ${key}` } });
}

const byHash = (hash: string) => ({ persistedQuery: { version: 1, sha256Hash: hash } });
const codeOf = (response: RawHttpResponse) => response.json().errors?.[0]?.extensions?.code as string | undefined;

function expectNotTrusted(response: RawHttpResponse): void {
  expect(response.status, response.text).toBe(400);
  expect(codeOf(response)).toBe('PERSISTED_QUERY_NOT_FOUND');
  expect(response.json().errors[0].message).toMatch(/TRUSTED_DOCUMENTS/);
  expect(response.json().errors[0].extensions.requestId).toBe(response.headers['x-request-id']);
  expect(response.json().data).toBeUndefined();
}

describe('a key other than ADMIN runs only the manifest', () => {
  it('by hash, over POST and GET, and by a key of the manifest that is not a sha256', async () => {
    const posted = await post({ variables: variables(10), extensions: byHash(sha256(STORE_CARD)) });
    expect(posted.status, posted.text).toBe(200);
    expect(posted.json().data.store.id).toBe('1');
    const fetched = await get({ variables: variables(10), extensions: byHash(sha256(STORE_CARD)) });
    expect(fetched.status, fetched.text).toBe(200);
    expect(fetched.json().data).toEqual(posted.json().data);
    const custom = await post({ extensions: byHash(CUSTOM_KEY) });
    expect(custom.status, custom.text).toBe(200);
    expect(custom.json().data.stores.totalCount).toBeGreaterThan(0);
  });

  it('by identical text, also written differently', async () => {
    const exact = await post({ query: STORE_CARD, variables: variables(11) });
    expect(exact.status, exact.text).toBe(200);
    const reformatted = await post({ query: STORE_CARD_REFORMATTED, variables: variables(11) });
    expect(reformatted.status, reformatted.text).toBe(200);
    expect(reformatted.json().data).toEqual(exact.json().data);
    const byGet = await get({ query: `  ${STORE_COUNT.replace(/ /g, '\n')}  ` });
    expect(byGet.status, byGet.text).toBe(200);
  });

  it('a trusted operation is served by the hot path like any other', async () => {
    const request = { variables: variables(12), extensions: byHash(sha256(STORE_CARD)) };
    await post(request);
    const hit = await post(request);
    expect(hit.headers['x-cache']).toBe('HIT');
    expect(hit.json().extensions.cache.operation).toBe(true);
  });

  it('anything else is 400 PERSISTED_QUERY_NOT_FOUND before parsing: other text, text that does not parse, text over a limit', async () => {
    expectNotTrusted(await post({ query: '{ stores(first: 2) { totalCount } }' }));
    // Unparseable text would be GRAPHQL_PARSE_FAILED, and 31 aliases a limit error, had it been parsed for running.
    expectNotTrusted(await post({ query: '{ stores(first: 1) { totalCount ' }));
    expectNotTrusted(await post({ query: `{ ${Array.from({ length: 31 }, (_, i) => `a${i}: __typename`).join(' ')} }` }));
    expectNotTrusted(await get({ query: '{ categories { id } }' }));
  });

  it('an unknown hash, or an APQ registration of a document not in the manifest, is refused and registers nothing', async () => {
    expectNotTrusted(await post({ extensions: byHash(sha256('{ categories { id } }')) }));
    const other = '{ categories { id name } }';
    expectNotTrusted(await post({ query: other, extensions: byHash(sha256(other)) }));
    // An admin goes through Apollo's APQ: had the viewer registered it, the hash alone would run.
    const adminByHash = await post({ extensions: byHash(sha256(other)) }, TEST_ADMIN_KEY);
    expect(codeOf(adminByHash)).toBe('PERSISTED_QUERY_NOT_FOUND');
    expect(adminByHash.status).toBe(200);
  });

  it('a request without a key is still 401, whatever it carries', async () => {
    const response = await post({ query: '{ stores(first: 2) { totalCount } }' }, null);
    expect(response.status).toBe(401);
    expect(codeOf(response)).toBe('UNAUTHENTICATED');
  });
});

describe('ADMIN keys are exempt', () => {
  it('run any operation and use automatic persisted queries', async () => {
    const query = '{ categories { id } }';
    const ran = await post({ query }, TEST_ADMIN_KEY);
    expect(ran.status, ran.text).toBe(200);
    expect(ran.json().data.categories.length).toBeGreaterThan(0);
    const registered = await post({ query, extensions: byHash(sha256(query)) }, TEST_ADMIN_KEY);
    expect(registered.status, registered.text).toBe(200);
    expect((await get({ extensions: byHash(sha256(query)) }, TEST_ADMIN_KEY)).json().data).toEqual(ran.json().data);
    // … while the same hash stays refused for a viewer.
    expectNotTrusted(await get({ extensions: byHash(sha256(query)) }));
  });

  it('run the manifest by hash too (an admin using the production client)', async () => {
    const custom = await post({ extensions: byHash(CUSTOM_KEY) }, TEST_ADMIN_KEY);
    expect(custom.status, custom.text).toBe(200);
    expect(custom.json().data.stores.totalCount).toBeGreaterThan(0);
  });
});

describe('a bad manifest stops the start with a ConfigError naming the file and the entry', () => {
  async function startFailure(content: string, name: string): Promise<ConfigError> {
    const path = manifestFile(name, content);
    const error = await startTestServer({ databaseUrl: server.databaseUrl, env: { TRUSTED_DOCUMENTS: path } }).then(
      async (started) => {
        await started.stop();
        throw new Error(`the server started with ${name}`);
      },
      (failure: unknown) => failure,
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toContain(path);
    return error as ConfigError;
  }

  it('not JSON', async () => {
    expect((await startFailure('{ "abc": "{ stores { totalCount } }", ', 'truncated.json')).message).toMatch(/JSON/);
  });

  it('not an object of documents, or an empty one', async () => {
    expect((await startFailure('["{ categories { id } }"]', 'array.json')).message).toMatch(/JSON object/);
    expect((await startFailure('{}', 'empty.json')).message).toMatch(/no document/);
  });

  it('a document that fails schema validation, one that does not parse, one that is not text: each named', async () => {
    const error = await startFailure(
      JSON.stringify({ good: STORE_COUNT, 'bad-field': '{ stores { noSuchField } }', 'bad-syntax': '{ stores { ', 'not-text': 42 }),
      'invalid-entries.json',
    );
    expect(error.problems).toHaveLength(3);
    expect(error.message).toMatch(/entry "bad-field" fails validation against the schema: .*noSuchField/);
    expect(error.message).toMatch(/entry "bad-syntax" does not parse/);
    expect(error.message).toMatch(/entry "not-text" is not a document text/);
    expect(error.message).not.toMatch(/"good"/);
  });

  it('npm start exits 2 with the message on stderr', async () => {
    const path = manifestFile('main-bad.json', JSON.stringify({ 'bad-field': '{ stores { noSuchField } }' }));
    const result = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
        cwd: process.cwd(),
        env: {
          PATH: process.env.PATH ?? '',
          HOME: process.env.HOME ?? '',
          DATABASE_URL: server.databaseUrl,
          PORT: '0',
          SEED: 'none',
          WORKERS: 'none',
          LOG_LEVEL: 'silent',
          ADMIN_API_KEY: TEST_ADMIN_KEY,
          TRUSTED_DOCUMENTS: path,
        },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`main.ts did not exit within 60 s: ${stderr}`));
      }, 60_000);
      child.once('error', reject);
      child.once('exit', (code) => {
        clearTimeout(timer);
        resolve({ code, stderr });
      });
    });
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toContain(path);
    expect(result.stderr).toMatch(/entry "bad-field" fails validation/);
  }, 90_000);
});
