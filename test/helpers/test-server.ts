import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { startApp, type App } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createLogger, type Logger } from '../../src/logger.js';
import { TEMPLATE_DATABASE, TEST_ADMIN_KEY } from './constants.js';
import { graphqlRequest, type GraphqlResponse } from './graphql-client.js';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import type { DocumentNode } from 'graphql';

/** A database of its own for one test file, cloned from the seeded template (fast: a file copy). */
export async function cloneTemplateDatabase(): Promise<string> {
  const adminUrl = inject('pgAdminUrl');
  const name = `gp_test_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: adminUrl });
  // A failure of the session shows as the rejected statement; without a listener it would also be an uncaught 'error'.
  client.on('error', () => {});
  await client.connect();
  try {
    // Concurrent clones of one template can collide briefly on its lock; retry a few times.
    for (let attempt = 0; ; attempt += 1) {
      try {
        await client.query(`CREATE DATABASE ${name} TEMPLATE ${TEMPLATE_DATABASE}`);
        break;
      } catch (error) {
        if (attempt >= 20 || !/being accessed by other users/.test(String(error))) throw error;
        await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
      }
    }
  } finally {
    await client.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

export interface TestServer {
  app: App;
  url: string;
  databaseUrl: string;
  adminKey: string;
  request<T = any, V = Record<string, unknown>>(
    document: TypedDocumentNode<T, V> | DocumentNode | string,
    options?: { variables?: V; key?: string | null; headers?: Record<string, string> },
  ): Promise<GraphqlResponse<T>>;
  stop(): Promise<void>;
}

/**
 * Boots the real server in-process on a free port against its own database (a fresh
 * clone unless `databaseUrl` is given, e.g. for two instances sharing one database).
 */
export async function startTestServer(
  options: {
    env?: Record<string, string>;
    databaseUrl?: string;
    logger?: Logger;
    /** false: no 10 s history timer (snapshots only through sampleNow), so no point exists until the test takes one. */
    historyTimer?: boolean;
  } = {},
): Promise<TestServer> {
  const databaseUrl = options.databaseUrl ?? (await cloneTemplateDatabase());
  const config = loadConfig({
    DATABASE_URL: databaseUrl,
    PORT: '0',
    HOST: '127.0.0.1',
    ADMIN_API_KEY: TEST_ADMIN_KEY,
    SEED: 'none',
    NODE_ENV: 'test',
    WORKERS: 'none',
    LOG_LEVEL: 'silent',
    // Generous limits so bursts in ordinary tests never flake; the abuse tests set their own.
    RATE_LIMITS: 'VIEWER=1000,INGEST=1000',
    ...options.env,
  });
  const app = await startApp(config, { logger: options.logger ?? createLogger(config.LOG_LEVEL), sampleHistory: options.historyTimer });
  return {
    app,
    url: app.url,
    databaseUrl,
    adminKey: TEST_ADMIN_KEY,
    request: (document, requestOptions = {}) => graphqlRequest(app.url, document, { key: TEST_ADMIN_KEY, ...requestOptions }),
    stop: () => app.stop(),
  };
}
