import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_ALERT_RULES } from '../src/alerts/alert-rules.js';
import { ConfigError, loadConfig } from '../src/config.js';

/** ALERT_RULES, ALERT_WEBHOOK_URL and ALERT_EVALUATION_MS: parsed once at start, every bad value named (exit 2). */

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error(`expected a ConfigError for ${JSON.stringify(env)}`);
}

const rules = (value: unknown) => ({ ALERT_RULES: JSON.stringify(value) });

describe('alert configuration', () => {
  it('defaults: the seven rules, no webhook, evaluation every 10 s', () => {
    const config = loadConfig({});
    expect(config.ALERT_RULES).toEqual(DEFAULT_ALERT_RULES);
    expect(config.ALERT_RULES.map((r) => `${r.metric} ${r.op} ${r.threshold} for ${r.forSeconds}s`)).toEqual([
      'analytics_p99_ms > 200 for 60s',
      'error_rate_percent > 1 for 60s',
      'cache_hit_rate_percent < 80 for 300s',
      'failed_jobs_5m > 0 for 0s',
      'pool_waiting > 5 for 30s',
      'event_loop_lag_p99_ms > 100 for 60s',
      'redis_degraded > 0 for 30s',
    ]);
    expect(config.ALERT_WEBHOOK_URL).toBeUndefined();
    expect(config.ALERT_EVALUATION_MS).toBe(10_000);
  });

  it('parses rules with durations as text or seconds', () => {
    const config = loadConfig({
      ...rules([
        { name: 'Busy', metric: 'requests_per_second', op: '>=', threshold: 100, for: '1m' },
        { name: 'Fat', metric: 'rss_mb', op: '>', threshold: 512.5, for: 45 },
        { name: 'Now', metric: 'http_p99_ms', op: '<=', threshold: -1, for: '0s' },
        { name: 'Half', metric: 'pool_waiting', op: '<', threshold: 1, for: '30s' },
      ]),
      ALERT_WEBHOOK_URL: 'https://hooks.example/alerts?team=ops',
      ALERT_EVALUATION_MS: '200',
    });
    expect(config.ALERT_RULES).toEqual([
      { name: 'Busy', metric: 'requests_per_second', op: '>=', threshold: 100, forSeconds: 60 },
      { name: 'Fat', metric: 'rss_mb', op: '>', threshold: 512.5, forSeconds: 45 },
      { name: 'Now', metric: 'http_p99_ms', op: '<=', threshold: -1, forSeconds: 0 },
      { name: 'Half', metric: 'pool_waiting', op: '<', threshold: 1, forSeconds: 30 },
    ]);
    expect(config.ALERT_WEBHOOK_URL).toBe('https://hooks.example/alerts?team=ops');
    expect(config.ALERT_EVALUATION_MS).toBe(200);
    expect(loadConfig(rules([])).ALERT_RULES).toEqual([]);
  });

  it('an unknown metric lists the valid ones', () => {
    const [problem, ...rest] = problemsOf(rules([{ name: 'X', metric: 'p99', op: '>', threshold: 1, for: '1m' }]));
    expect(rest).toEqual([]);
    expect(problem).toMatch(/^ALERT_RULES=.*rule "X": unknown metric "p99"; known: http_p99_ms, analytics_p99_ms, error_rate_percent, /);
    expect(problem).toContain('redis_degraded, requests_per_second, rss_mb');
  });

  it('names every bad rule: duplicate names, bad op, non-finite threshold, bad duration, not JSON', () => {
    const problems = problemsOf(
      rules([
        { name: 'A', metric: 'pool_waiting', op: '>', threshold: 1, for: '1m' },
        { name: 'A', metric: 'pool_waiting', op: '>', threshold: 2, for: '1m' },
        { name: 'B', metric: 'pool_waiting', op: '=>', threshold: 1, for: '1m' },
        { name: 'C', metric: 'pool_waiting', op: '>', threshold: '1', for: '1m' },
        { name: 'D', metric: 'pool_waiting', op: '>', threshold: 1, for: '1 minute' },
        { name: 'E', metric: 'pool_waiting', op: '>', threshold: 1, for: -5 },
      ]),
    );
    expect(problems).toHaveLength(5);
    expect(problems[0]).toMatch(/rule 2: duplicate name "A"/);
    expect(problems[1]).toMatch(/rule "B": op "=>" must be one of > >= < <=/);
    expect(problems[2]).toMatch(/rule "C": threshold "1" must be a finite number/);
    expect(problems[3]).toMatch(/rule "D": for "1 minute" must be a duration/);
    expect(problems[4]).toMatch(/rule "E": for -5 must be a duration/);
    // JSON cannot carry Infinity or NaN: those arrive as text or as a parse error.
    expect(problemsOf({ ALERT_RULES: '[{"name":"F","metric":"pool_waiting","op":">","threshold":1e999,"for":0}]' })[0]).toMatch(
      /threshold null must be a finite number/,
    );
    expect(problemsOf({ ALERT_RULES: '{"name":"G"}' })[0]).toMatch(/expected a JSON array/);
    expect(problemsOf({ ALERT_RULES: '[{name: G}]' })[0]).toMatch(/^ALERT_RULES=.*expected JSON/);
    expect(problemsOf(rules([{ name: 'H', metric: 'pool_waiting', op: '>', threshold: 1, for: 0, severity: 'high' }]))[0]).toMatch(
      /unknown field\(s\) severity/,
    );
  });

  it('ALERT_WEBHOOK_URL must be http(s); ALERT_EVALUATION_MS a positive number of ms', () => {
    expect(problemsOf({ ALERT_WEBHOOK_URL: 'ftp://x.example/hook' })[0]).toMatch(/^ALERT_WEBHOOK_URL=.*http:\/\/ or https:\/\//);
    expect(problemsOf({ ALERT_WEBHOOK_URL: 'not a url' })[0]).toMatch(/^ALERT_WEBHOOK_URL=/);
    expect(problemsOf({ ALERT_EVALUATION_MS: '0' })[0]).toMatch(/^ALERT_EVALUATION_MS=/);
    expect(problemsOf({ ALERT_EVALUATION_MS: 'soon' })[0]).toMatch(/^ALERT_EVALUATION_MS=/);
  });

  it('a bad rule stops the process before anything starts: exit 2, the problem on stderr', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'gp-alerts-config-'));
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: process.cwd(),
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        DATA_DIR: dataDir,
        ALERT_RULES: '[{"name":"X","metric":"p99","op":">","threshold":1}]',
      },
      encoding: 'utf8',
      timeout: 30_000,
    });
    rmSync(dataDir, { recursive: true, force: true });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('Invalid configuration');
    expect(result.stderr).toContain('unknown metric "p99"; known: http_p99_ms');
  });
});
