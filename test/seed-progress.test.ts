import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runAdminStatements } from './helpers/admin-sql.js';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startEmbeddedPostgres, type RunningPostgres } from '../src/db/embedded-postgres.js';
import { MATERIALIZED_VIEWS } from '../src/db/queries/refresh-aggregates.js';
import { createLogger } from '../src/logger.js';

/**
 * `npm run seed` (db/seed/cli.ts) as a child process without a TTY, at a tiny scale:
 * plain progress lines on stderr (each phase, the rows and rows/s, the views), the
 * summary on stdout as before, and a failing seed still ends with its one message.
 */

const DATABASE = 'graphpulse_seed_progress_test';

let dir: string | undefined;
let server: RunningPostgres | undefined;
let adminUrl: string;
let databaseUrl: string;

const admin = (statements: string[]) => runAdminStatements(adminUrl, statements);

/** Runs the seed CLI with pipes (no TTY) and resolves with its exit code and output. */
function runSeed(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'db/seed/cli.ts', ...args], {
      cwd: process.cwd(),
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

beforeAll(async () => {
  adminUrl = inject('pgAdminUrl') ?? '';
  if (!adminUrl) {
    dir = mkdtempSync(join(tmpdir(), 'graphpulse-seed-progress-'));
    server = await startEmbeddedPostgres(dir, createLogger('silent'), true);
    adminUrl = server.adminUrl;
  }
  await admin([`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`, `CREATE DATABASE ${DATABASE}`]);
  const url = new URL(adminUrl);
  url.pathname = `/${DATABASE}`;
  databaseUrl = url.toString();
});

afterAll(async () => {
  if (server) await server.stop();
  else if (adminUrl) await admin([`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('npm run seed without a TTY', () => {
  it('prints plain progress lines for every phase on stderr and the summary on stdout', async () => {
    const { code, stdout, stderr } = await runSeed(['--scale', '0.01', '--seed', '3']);
    expect(code, stderr).toBe(0);
    const lines = stderr.split('\n').filter(Boolean);
    // Plain lines only: no carriage returns or terminal escapes in a log.
    expect(stderr.includes('\r') || stderr.includes('\x1b')).toBe(false);
    expect(lines[0]).toBe('seed: writing rows (180 days)…');
    const rowsLine = lines.find((l) => l.startsWith('seed: writing rows 180/180 days (100%)'));
    expect(rowsLine, stderr).toMatch(/days\/s, took [\d.]+ s — [\d,]+ rows, [\d,.]+ rows\/s$/);
    expect(lines).toContain('seed: ANALYZE…');
    // Every materialized view, in refresh order: the line after the last one names it.
    const views = MATERIALIZED_VIEWS.length;
    expect(lines).toContain(`seed: refreshing views (${views} views)…`);
    expect(lines.find((l) => l.startsWith(`seed: refreshing views ${views}/${views} views (100%)`))).toMatch(
      new RegExp(`took [\\d.]+ s — ${MATERIALIZED_VIEWS.at(-1)} done$`),
    );
    expect(lines).toContain('seed: commit…');
    // The phases come in order, and the run ends with the summary.
    const order = ['seed: writing rows (', 'seed: ANALYZE…', 'seed: refreshing views (', 'seed: commit…', 'seed: done: '].map((p) =>
      lines.findIndex((l) => l.startsWith(p)),
    );
    expect(
      order.every((index, i) => index >= 0 && (i === 0 || index > order[i - 1])),
      stderr,
    ).toBe(true);
    const summary = lines.at(-1) ?? '';
    expect(summary).toMatch(/^seed: done: [\d,]+ rows in [\d.]+ s \([\d,]+ rows\/s overall\)$/);
    // The rows of the summary are the rows of stdout's table, which is printed as before.
    expect(stdout).toMatch(/^seeded scale 0\.01 \(seed 3\), \d{4}-\d{2}-\d{2} \.\. \d{4}-\d{2}-\d{2}$/m);
    const tableRows = [...stdout.matchAll(/^ {2}[a-z_]+\s+([\d,]+)$/gm)].reduce((sum, m) => sum + Number(m[1].replaceAll(',', '')), 0);
    expect(summary).toContain(` ${tableRows.toLocaleString('en-US')} rows in `);
  });

  it('ends a failed seed with the one error message it gave before, and no progress summary', async () => {
    // The database now has data: without --reset the seed refuses.
    const { code, stdout, stderr } = await runSeed(['--scale', '0.01', '--seed', '3']);
    expect(code).toBe(1);
    expect(stderr.split('\n').filter(Boolean)).toEqual([
      expect.stringMatching(/^seed failed: Refusing to seed: the database already has data \(.*\)\. Pass reset: true .*--reset.*$/),
    ]);
    expect(stdout).not.toContain('seeded scale');
  });

  it('rejects bad flags with the usage, as before', async () => {
    const { code, stderr } = await runSeed(['--scale', '0']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^seed: --scale: expected a number > 0 and <= 10, got "0"\nusage: npm run seed/);
    expect(stderr).not.toContain('seed: done');
  });
});
