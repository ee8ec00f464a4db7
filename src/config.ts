import { z } from 'zod';

/**
 * The only reader of process.env. Every public variable (README, Configuration; and the knobs later
 * issues add) is parsed here once, validated, frozen and passed in from app.ts.
 */

const roleNames = ['VIEWER', 'INGEST', 'ADMIN'] as const;
export type RoleName = (typeof roleNames)[number];

/** `VIEWER=50,INGEST=200` → { VIEWER: 50, INGEST: 200 }; a role not named is not limited. */
const rateLimits = z.string().transform((text, ctx) => {
  const limits: Partial<Record<RoleName, number>> = {};
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const [role, value] = part.split('=').map((s) => s.trim());
    const perSecond = Number(value);
    if (!roleNames.includes(role as RoleName) || !Number.isFinite(perSecond) || perSecond <= 0) {
      ctx.addIssue({
        code: 'custom',
        message: `expected ROLE=requestsPerSecond pairs with ROLE in ${roleNames.join('|')} and a positive number, got "${part}"`,
      });
      return z.NEVER;
    }
    limits[role as RoleName] = perSecond;
  }
  return limits;
});

/** `name=value,…` with each value matching `pattern` → { name: [captured groups as numbers] }; names are checked by their user. */
function namedPairs(pattern: RegExp, expected: string) {
  return z.string().transform((text, ctx) => {
    const pairs: Record<string, number[]> = {};
    for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
      const [name, value = ''] = part.split('=').map((s) => s.trim());
      const match = pattern.exec(value);
      if (!name || !match) {
        ctx.addIssue({ code: 'custom', message: `expected name=${expected} pairs, got "${part}"` });
        return z.NEVER;
      }
      pairs[name] = match.slice(1).map(Number);
    }
    return pairs;
  });
}

/** A 5- or 6-field cron pattern, or `off`; BullMQ's parser checks the fields when the schedule is saved. */
const cron = z.string().regex(/^(off|\S+( \S+){4,5})$/, 'expected a cron pattern such as "0 * * * *", or off');

const port = z.coerce.number().int().min(0).max(65535);
const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');
const positiveInt = z.coerce.number().int().positive();

const envSchema = z
  .object({
  PORT: port.default(4000),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'expected a postgres:// or postgresql:// URL')
    .optional(),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'expected a redis:// or rediss:// URL')
    .optional(),
  DATA_DIR: z.string().min(1).default('.data'),
  ADMIN_API_KEY: z.string().min(16, 'expected at least 16 characters').optional(),
  SEED: z.enum(['demo', 'none']).optional(),
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  WORKERS: z.enum(['inline', 'none']).default('inline'),
  RATE_LIMITS: rateLimits.default({ VIEWER: 50, INGEST: 200 }),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Scale of the demo seed run at start when SEED=demo. */
  DEMO_SCALE: z.coerce.number().positive().max(10).default(0.05),
  /**
   * Postgres pool size per API process. Default 4, twice the cores of the machines this is
   * sized for: analytic statements are CPU-bound, so on 2 cores shared with Node more than
   * 2-4 running at once only time-slice and stretch each one; 4 still lets a dashboard's
   * 3-4 statements run together. Raise it with the cores of the database host.
   */
  DB_POOL_MAX: positiveInt.max(200).default(4),
  /** Postgres statement_timeout in ms, so a runaway query fails instead of hanging. */
  DB_STATEMENT_TIMEOUT_MS: positiveInt.default(15_000),
  /** How long a request waits for a pool connection before SERVICE_UNAVAILABLE. */
  DB_CONNECT_TIMEOUT_MS: positiveInt.default(5_000),
  /** Byte bound of the in-process L1 cache (default 64 MB). */
  CACHE_L1_MAX_BYTES: positiveInt.default(64 * 1024 * 1024),
  /** Events older than this are refused by ingestion and deleted by the cleanupEvents job. */
  EVENT_RETENTION_DAYS: positiveInt.max(3650).default(400),
  /** Window within which a burst of ingested batches triggers one more invalidation per tag (ms). */
  INGEST_INVALIDATION_WINDOW_MS: positiveInt.max(10_000).default(250),
  /** Prefix of every Redis key and channel of this deployment (tests give each file its own). */
  REDIS_PREFIX: z.string().regex(/^[\w:.-]{1,40}$/, 'expected 1-40 characters of [A-Za-z0-9_:.-]').default('gp:'),
  /** Postgres flags for the embedded server only (fast, unsafe durability for throwaway data). */
  EMBEDDED_PG_FAST: bool.default(false),
  METRICS_PUBLIC: bool.default(false),
  /** Feed the metrics registry (resolver timing, SQL, HTTP); false only to measure its overhead (bench). */
  METRICS_ENABLED: bool.default(true),
  /** Statements at least this slow (ms) are listed in Metrics.database.slowQueries and logged as warnings. */
  SLOW_QUERY_MS: positiveInt.default(200),
  /**
   * How operations execute: `jit` compiles each validated document once (graphql-jit) and
   * falls back to graphql-js for a document it cannot compile; `graphql-js` always
   * interprets (the reference the differential test compares against). Default jit.
   */
  EXECUTOR: z.enum(['jit', 'graphql-js']).default('jit'),
  /** Serve fully cached operations from stored bytes before Apollo (off only to measure the per-field path). */
  HOT_PATH: bool.default(true),
  /** Pre-execution limits (abuse resistance); the defaults admit every README example. */
  MAX_QUERY_DEPTH: positiveInt.max(100).default(8),
  MAX_ALIASES: positiveInt.max(1000).default(30),
  MAX_QUERY_TOKENS: positiveInt.max(100_000).default(3000),
  MAX_DIRECTIVES_PER_FIELD: positiveInt.max(100).default(5),
  MAX_FIELD_REPEATS: positiveInt.max(100).default(5),
  MAX_QUERY_COST: positiveInt.default(5000),
  /** Comma-separated Origins allowed to open the WebSocket; unset = any (API keys still required). */
  WS_ALLOWED_ORIGINS: z
    .string()
    .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean))
    .optional(),
  /** Largest WebSocket message accepted, bytes. */
  WS_MAX_MESSAGE_BYTES: positiveInt.default(64 * 1024),
  /** Retries per job kind over the defaults of src/jobs/job-kinds.ts: `kind=attempts/backoffMs,…`, e.g. `generateReport=5/2000`. */
  JOB_RETRY: namedPairs(/^(\d{1,3})\/(\d{1,9})$/, 'attempts/backoffMs').default({}),
  /** Fraction of each exponential backoff delay that is random (0 = none, 0.2 = the last 20 % varies). */
  JOB_BACKOFF_JITTER: z.coerce.number().min(0).max(0.9).default(0.2),
  /** Worker concurrency per queue over the defaults (reports=2, maintenance=1), e.g. `maintenance=4`. */
  JOB_CONCURRENCY: namedPairs(/^(\d{1,4})$/, 'a number of jobs').default({}),
  /** Cron pattern (UTC) of the scheduled refreshAggregates; `off` removes the schedule. Default hourly. */
  JOB_REFRESH_CRON: cron.default('0 * * * *'),
  /** Cron pattern (UTC) of the scheduled cleanupEvents; `off` removes the schedule. Default daily at 03:30. */
  JOB_CLEANUP_CRON: cron.default('30 3 * * *'),
  /** How often workers look for jobs whose worker died (ms); also the lock they hold is JOB_LOCK_DURATION_MS. */
  JOB_STALLED_INTERVAL_MS: positiveInt.default(30_000),
  JOB_LOCK_DURATION_MS: positiveInt.default(30_000),
  /** On shutdown, how long active jobs may run on before the worker is closed anyway (they then stall and rerun). */
  JOB_SHUTDOWN_GRACE_MS: positiveInt.default(10_000),
  /** Finished jobs kept for inspection: the newest N, and none older than JOB_KEEP_HOURS. */
  JOB_KEEP_COMPLETED: positiveInt.default(1_000),
  JOB_KEEP_FAILED: positiveInt.default(5_000),
  JOB_KEEP_HOURS: positiveInt.default(7 * 24),
  /** Rows cleanupEvents deletes per statement, so a big cleanup never holds long locks. */
  CLEANUP_BATCH_SIZE: positiveInt.max(100_000).default(5_000),
  /**
   * SIGTERM/SIGINT: the process exits within this bound whatever Redis and Postgres do —
   * 0 when everything drained and closed, 1 when the deadline forced it (the log names
   * what did not close). Includes SHUTDOWN_DELAY_MS. Default 10 s.
   */
  SHUTDOWN_GRACE_MS: positiveInt.max(600_000).default(10_000),
  /**
   * After SIGTERM, /readyz answers 503 at once and the listener closes only after this
   * delay, so a load balancer takes the instance out of rotation first. Default 0.
   */
  SHUTDOWN_DELAY_MS: z.coerce.number().int().min(0).max(600_000).default(0),
  /** `npm run worker` in embedded mode: how long it waits for an API process on the same DATA_DIR (then exit 2). */
  WORKER_ATTACH_TIMEOUT_MS: positiveInt.max(600_000).default(30_000),
  /** Postgres schema of BullMQ's own tables when REDIS_URL is unset. */
  JOB_PG_SCHEMA: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'expected a lower-case SQL identifier').default('bullmq'),
  })
  .refine((env) => env.SHUTDOWN_DELAY_MS < env.SHUTDOWN_GRACE_MS, {
    path: ['SHUTDOWN_DELAY_MS'],
    message: 'must be less than SHUTDOWN_GRACE_MS (the delay is part of the grace period)',
  });

export type Config = Readonly<
  Omit<z.infer<typeof envSchema>, 'SEED'> & {
    SEED: 'demo' | 'none';
    /** True when DATABASE_URL is unset and we run our own Postgres. */
    embedded: boolean;
  }
>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

/** Parses an environment (process.env by default) into a frozen Config or throws one ConfigError naming every bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  // Empty strings mean "unset" for every variable: shells often export VAR= to clear one.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? '(env)');
      const value = present[name];
      const shown = name === 'ADMIN_API_KEY' ? '(hidden)' : JSON.stringify(value);
      return `${name}=${shown}: ${issue.message}`;
    });
    throw new ConfigError(problems);
  }
  const embedded = parsed.data.DATABASE_URL === undefined;
  return Object.freeze({
    ...parsed.data,
    RATE_LIMITS: Object.freeze({ ...parsed.data.RATE_LIMITS }),
    SEED: parsed.data.SEED ?? (embedded ? 'demo' : 'none'),
    embedded,
  });
}
