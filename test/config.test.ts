import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';
import { KIND_POLICIES, kindPolicies, queueConcurrency } from '../src/jobs/job-kinds.js';
import { JOB_KIND_NAMES } from '../src/jobs/job-names.js';
import { originAllowed } from '../src/origin-patterns.js';

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
      expect(
        error.problems.some((p) => p.startsWith(`${name}=`)),
        name,
      ).toBe(true);
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

describe('job settings (JOB_RETRY, JOB_CONCURRENCY) are checked with the rest of the configuration', () => {
  it('an unknown job kind or queue is a ConfigError naming it and the known names', () => {
    const retry = configErrorOf({ JOB_RETRY: 'probe=3/500,genrateReport=5/2000' });
    expect(retry.problems).toHaveLength(1);
    expect(retry.problems[0]).toMatch(/^JOB_RETRY=.*unknown job kind "genrateReport"/);
    for (const kind of JOB_KIND_NAMES) expect(retry.problems[0]).toContain(kind);

    const concurrency = configErrorOf({ JOB_CONCURRENCY: 'reprots=4' });
    expect(concurrency.problems).toHaveLength(1);
    expect(concurrency.problems[0]).toMatch(/^JOB_CONCURRENCY=.*unknown queue "reprots"; known: reports, maintenance, alerts$/);
  });

  it('zero attempts or zero concurrency is refused; every bad pair is named at once', () => {
    const error = configErrorOf({ JOB_RETRY: 'probe=0/500,nope=1/1', JOB_CONCURRENCY: 'reports=0' });
    expect(error.problems).toEqual([
      expect.stringMatching(/^JOB_RETRY=.*probe needs at least 1 attempt, got 0$/),
      expect.stringMatching(/^JOB_RETRY=.*unknown job kind "nope"/),
      expect.stringMatching(/^JOB_CONCURRENCY=.*reports needs at least 1 job at a time, got 0$/),
    ]);
  });

  it('accepts every known name, and the jobs runtime applies what was accepted', () => {
    const config = loadConfig({
      JOB_RETRY: JOB_KIND_NAMES.map((kind, i) => `${kind}=${i + 1}/${(i + 1) * 100}`).join(','),
      JOB_CONCURRENCY: 'reports=3,maintenance=4,alerts=5',
    });
    const policies = kindPolicies(config.JOB_RETRY);
    JOB_KIND_NAMES.forEach((kind, i) =>
      expect(policies[kind]).toEqual({ ...KIND_POLICIES[kind], attempts: i + 1, backoffMs: (i + 1) * 100 }),
    );
    expect(queueConcurrency(config.JOB_CONCURRENCY)).toEqual({ reports: 3, maintenance: 4, alerts: 5 });
    // One list of names: the runtime's policies cover exactly the names config.ts accepts.
    expect(Object.keys(KIND_POLICIES).sort()).toEqual([...JOB_KIND_NAMES].sort());
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

  it('an unknown job kind in JOB_RETRY exits 2 before anything starts (no database created)', async () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'gp-config-')), 'data');
    const result = await runMain({ JOB_RETRY: 'refreshAggregate=5/1000', DATA_DIR: dataDir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('Invalid configuration');
    expect(result.stderr).toContain('unknown job kind "refreshAggregate"');
    expect(existsSync(dataDir)).toBe(false);
  });
});

describe('browser settings: CORS_ORIGINS (alias WS_ALLOWED_ORIGINS), LANDING_PAGE, TRUSTED_DOCUMENTS', () => {
  const sources = (env: Record<string, string>) => loadConfig(env).CORS_ORIGINS.map((p) => p.source);

  it('CORS_ORIGINS defaults to this machine on any port and Apollo Studio outside production, none in production', () => {
    const development = ['localhost:*', '127.0.0.1:*', 'https://studio.apollographql.com'];
    expect(sources({})).toEqual(development);
    expect(sources({ NODE_ENV: 'test' })).toEqual(development);
    expect(sources({ NODE_ENV: 'production' })).toEqual([]);
    expect(Object.isFrozen(loadConfig({}).CORS_ORIGINS)).toBe(true);
  });

  it('parses exact origins and patterns, `*` and `none`; matching follows scheme, host and port', () => {
    const patterns = loadConfig({
      CORS_ORIGINS: 'https://app.example.org, *.example.com,http://localhost:3000',
      NODE_ENV: 'production',
    }).CORS_ORIGINS;
    const allowed = (origin: string) => originAllowed(origin, patterns);
    expect(allowed('https://app.example.org')).toBe(true);
    expect(allowed('http://app.example.org')).toBe(false);
    expect(allowed('https://app.example.org:444')).toBe(false);
    expect(allowed('https://a.example.com')).toBe(true);
    expect(allowed('https://a.b.example.com:8443')).toBe(false);
    expect(allowed('https://example.com')).toBe(false);
    expect(allowed('https://example.com.evil.org')).toBe(false);
    expect(allowed('http://localhost:3000')).toBe(true);
    expect(allowed('http://localhost:3001')).toBe(false);
    expect(allowed('null')).toBe(false);
    expect(originAllowed('https://anything.example', loadConfig({ CORS_ORIGINS: '*' }).CORS_ORIGINS)).toBe(true);
    expect(loadConfig({ CORS_ORIGINS: 'none' }).CORS_ORIGINS).toEqual([]);
  });

  it('names every bad origin pattern', () => {
    const error = configErrorOf({
      CORS_ORIGINS:
        'https://ok.example, https://app.example.com/, ftp://files.example, *.com, https://exa mple.com, http://x.example:99999',
    });
    expect(error.problems.every((p) => p.startsWith('CORS_ORIGINS='))).toBe(true);
    for (const bad of ['https://app.example.com/', 'ftp://files.example', '*.com', 'https://exa mple.com', 'http://x.example:99999']) {
      expect(error.message, bad).toContain(`"${bad}"`);
    }
    expect(error.message).toMatch(/no path/);
    expect(error.message).toMatch(/at least two labels/);
    expect(error.message).not.toContain('"https://ok.example"');
  });

  it('WS_ALLOWED_ORIGINS is an alias of CORS_ORIGINS; both set to different lists is refused', () => {
    expect(sources({ WS_ALLOWED_ORIGINS: 'https://dash.example' })).toEqual(['https://dash.example']);
    expect(sources({ WS_ALLOWED_ORIGINS: 'https://dash.example', CORS_ORIGINS: 'https://dash.example' })).toEqual(['https://dash.example']);
    const error = configErrorOf({ WS_ALLOWED_ORIGINS: 'https://dash.example', CORS_ORIGINS: 'https://app.example' });
    expect(error.message).toMatch(/WS_ALLOWED_ORIGINS=.*alias of CORS_ORIGINS/);
    expect(configErrorOf({ WS_ALLOWED_ORIGINS: 'dash.example/' }).message).toContain('WS_ALLOWED_ORIGINS');
    expect(loadConfig({})).not.toHaveProperty('WS_ALLOWED_ORIGINS');
  });

  it('LANDING_PAGE: sandbox outside production, off in production; an unknown value is refused', () => {
    expect(loadConfig({}).LANDING_PAGE).toBe('sandbox');
    expect(loadConfig({ NODE_ENV: 'test' }).LANDING_PAGE).toBe('sandbox');
    expect(loadConfig({ NODE_ENV: 'production' }).LANDING_PAGE).toBe('off');
    expect(loadConfig({ NODE_ENV: 'production', LANDING_PAGE: 'graphiql' }).LANDING_PAGE).toBe('graphiql');
    const error = configErrorOf({ LANDING_PAGE: 'playground' });
    expect(error.message).toContain('LANDING_PAGE="playground"');
    expect(error.message).toMatch(/sandbox.*graphiql.*off/);
  });

  it('TRUSTED_DOCUMENTS must name an existing file (its documents are checked at start)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gp-trusted-'));
    const missing = join(dir, 'missing.json');
    const error = configErrorOf({ TRUSTED_DOCUMENTS: missing });
    expect(error.message).toContain(`TRUSTED_DOCUMENTS=${JSON.stringify(missing)}`);
    expect(error.message).toMatch(/no such file/);
    expect(configErrorOf({ TRUSTED_DOCUMENTS: dir }).message).toContain('TRUSTED_DOCUMENTS');
    expect(loadConfig({}).TRUSTED_DOCUMENTS).toBeUndefined();
  });
});
