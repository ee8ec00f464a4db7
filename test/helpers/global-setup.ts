import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { seedDatabase } from '../../db/seed/seed-database.js';
import { createDatabase } from '../../src/db/database.js';
import { freePort, startEmbeddedPostgres } from '../../src/db/embedded-postgres.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { createLogger } from '../../src/logger.js';
import { TEMPLATE_DATABASE, TEST_SEED } from './constants.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Maintenance-database URL of the test Postgres server. */
    pgAdminUrl: string;
    /** Redis for the suites that need it; '' when none is available (suites skip, outside CI). */
    redisUrl: string;
  }
}

const logger = createLogger('warn');

async function startRedis(): Promise<{ url: string; stop: () => Promise<void> }> {
  const port = await freePort();
  const child: ChildProcess = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('redis-server did not become ready within 10 s')), 10_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`redis-server exited with code ${code}`)));
  });
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/**
 * Once per `npm test`: a Postgres server (embedded, or DATABASE_URL's), a template
 * database migrated and seeded that every test file clones, and a Redis server.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const stops: Array<() => Promise<void>> = [];
  let adminUrl = process.env.DATABASE_URL ?? '';
  if (!adminUrl) {
    const dir = mkdtempSync(join(tmpdir(), 'graphpulse-test-'));
    const server = await startEmbeddedPostgres(dir, logger, true);
    adminUrl = server.adminUrl;
    stops.push(async () => {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    });
  }

  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${TEMPLATE_DATABASE} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${TEMPLATE_DATABASE}`);
  await admin.end();
  const templateUrl = new URL(adminUrl);
  templateUrl.pathname = `/${TEMPLATE_DATABASE}`;
  const database = createDatabase({
    connectionString: templateUrl.toString(),
    poolMax: 4,
    statementTimeoutMs: 600_000,
    connectTimeoutMs: 10_000,
  });
  await migrateToLatest(database.db);
  await seedDatabase(database.pool, { scale: TEST_SEED.scale, seed: TEST_SEED.seed });
  await database.close();

  let redisUrl = process.env.REDIS_URL ?? '';
  if (!redisUrl) {
    const available = spawnSync('redis-server', ['--version']).status === 0;
    if (available) {
      const redis = await startRedis();
      redisUrl = redis.url;
      stops.push(redis.stop);
    } else if (process.env.CI === 'true') {
      throw new Error('CI=true but redis-server is not installed and REDIS_URL is unset: the Redis suites cannot run');
    } else {
      console.warn(
        'redis-server not found: Redis suites are skipped. Install it (Debian: apt-get install -y redis-server) or set REDIS_URL.',
      );
    }
  }

  project.provide('pgAdminUrl', adminUrl);
  project.provide('redisUrl', redisUrl);
  return async () => {
    for (const stop of stops.reverse()) await stop();
  };
}
