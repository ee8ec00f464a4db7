import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';

/** Runs `node --import tsx src/main.ts` with exactly `env` (plus PATH/HOME), collecting its output. */
function runMain(env: Record<string, string>, timeoutMs = 30_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: process.cwd(),
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`main.ts did not exit within ${timeoutMs} ms; stdout: ${stdout}\nstderr: ${stderr}`));
    }, timeoutMs);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function configErrorOf(env: Record<string, string | undefined>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

describe('loadConfig defaults (README, Configuration)', () => {
  it('an empty environment gives the documented defaults in embedded mode', () => {
    const config = loadConfig({});
    expect(config.PORT).toBe(4000);
    expect(config.HOST).toBe('127.0.0.1');
    expect(config.DATA_DIR).toBe('.data');
    expect(config.DATABASE_URL).toBeUndefined();
    expect(config.REDIS_URL).toBeUndefined();
    expect(config.ADMIN_API_KEY).toBeUndefined();
    expect(config.embedded).toBe(true);
    expect(config.SEED).toBe('demo');
    expect(config.WORKERS).toBe('inline');
    expect(config.RATE_LIMITS).toEqual({ VIEWER: 50, INGEST: 200 });
    expect(config.RATE_LIMITS).not.toHaveProperty('ADMIN');
    expect(config.LOG_LEVEL).toBe('info');
    expect(config.NODE_ENV).toBe('development');
  });

  it('SEED defaults to none when DATABASE_URL is set, and an explicit SEED wins', () => {
    const external = loadConfig({ DATABASE_URL: 'postgres://u:p@db.example:5432/app' });
    expect(external.embedded).toBe(false);
    expect(external.SEED).toBe('none');
    expect(loadConfig({ DATABASE_URL: 'postgresql://db/app', SEED: 'demo' }).SEED).toBe('demo');
    expect(loadConfig({ SEED: 'none' }).SEED).toBe('none');
  });

  it('empty strings count as unset', () => {
    const config = loadConfig({ PORT: '', DATABASE_URL: '', LOG_LEVEL: '' });
    expect(config.PORT).toBe(4000);
    expect(config.embedded).toBe(true);
    expect(config.LOG_LEVEL).toBe('info');
  });

  it('parses given values: port, rate limits by role', () => {
    const config = loadConfig({ PORT: '0', HOST: '0.0.0.0', RATE_LIMITS: 'VIEWER=5, ADMIN=1000', WORKERS: 'none', NODE_ENV: 'production' });
    expect(config.PORT).toBe(0);
    expect(config.HOST).toBe('0.0.0.0');
    expect(config.RATE_LIMITS).toEqual({ VIEWER: 5, ADMIN: 1000 });
    expect(config.WORKERS).toBe('none');
    expect(config.NODE_ENV).toBe('production');
  });

  it('the result is frozen, rate limits included', () => {
    const config = loadConfig({});
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.RATE_LIMITS)).toBe(true);
    expect(() => {
      (config as { PORT: number }).PORT = 1;
    }).toThrow(TypeError);
    expect(() => {
      (config.RATE_LIMITS as Record<string, number>).VIEWER = 1;
    }).toThrow(TypeError);
  });
});

describe('loadConfig errors', () => {
  it('names every bad variable at once, with what is expected', () => {
    const error = configErrorOf({ PORT: 'abc', REDIS_URL: 'http://x', RATE_LIMITS: 'VIEWER=-1', WORKERS: 'maybe', HOST: 'localhost' });
    const message = error.message;
    expect(error.problems).toHaveLength(4);
    for (const name of ['PORT', 'REDIS_URL', 'RATE_LIMITS', 'WORKERS']) {
      expect(message).toContain(name);
      expect(error.problems.some((p) => p.startsWith(`${name}=`)), name).toBe(true);
    }
    expect(message).not.toMatch(/\bHOST\b/);
    // The bad values and what would have been accepted.
    expect(message).toContain('"abc"');
    expect(message).toContain('"http://x"');
    expect(message).toMatch(/redis:\/\//);
    expect(message).toContain('VIEWER=-1');
    expect(message).toMatch(/positive number/);
    expect(message).toContain('"maybe"');
    expect(message).toMatch(/inline/);
    expect(message).toMatch(/none/);
    const portProblem = error.problems.find((p) => p.startsWith('PORT='));
    expect(portProblem).toMatch(/number/i);
  });

  it('an out-of-range port and an unknown role are refused', () => {
    expect(configErrorOf({ PORT: '70000' }).message).toContain('PORT');
    expect(configErrorOf({ RATE_LIMITS: 'GUEST=5' }).message).toContain('GUEST=5');
    expect(configErrorOf({ DATABASE_URL: 'mysql://x' }).message).toContain('DATABASE_URL');
  });

  it('never prints the ADMIN_API_KEY value', () => {
    const secret = 'short-secret';
    const error = configErrorOf({ ADMIN_API_KEY: secret, PORT: 'abc' });
    expect(error.message).toContain('ADMIN_API_KEY');
    expect(error.message).toContain('PORT');
    expect(error.message).not.toContain(secret);
    expect(JSON.stringify(error.problems)).not.toContain(secret);
    // A valid key is not printed either when other variables fail.
    const valid = 'gp_valid_admin_key_0123456789';
    const other = configErrorOf({ ADMIN_API_KEY: valid, WORKERS: 'maybe' });
    expect(other.message).not.toContain(valid);
  });
});

describe('main.ts with a bad environment', () => {
  it('exits with code 2 and prints the problem', async () => {
    const result = await runMain({ PORT: 'notaport', ADMIN_API_KEY: 'tiny' });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('Invalid configuration');
    expect(result.stderr).toContain('PORT="notaport"');
    expect(result.stderr).toContain('ADMIN_API_KEY');
    expect(result.stderr).not.toContain('tiny');
    expect(result.stdout).not.toContain('GraphQL at');
  });
});
