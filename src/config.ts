import { statSync } from 'node:fs';
import { z } from 'zod';
import { DEFAULT_ALERT_RULES, parseAlertRules } from './alerts/alert-rules.js';
import { JOB_KIND_NAMES, QUEUE_NAMES } from './jobs/job-names.js';
import { DEVELOPMENT_ORIGINS, parseOriginList, type OriginPattern } from './origin-patterns.js';
import { isClusterUrl, parseClusterUrl, toClusterUrl, type RedisNode } from './redis.js';

/**
 * The only reader of process.env. Every public variable (docs/api.md, Settings) is parsed
 * here once, validated, frozen and passed in from app.ts.
 */

const roleNames = ['VIEWER', 'INGEST', 'ADMIN'] as const;
export type RoleName = (typeof roleNames)[number];

/** `VIEWER=50,INGEST=200` → { VIEWER: 50, INGEST: 200 }; a role not named is not limited. */
const rateLimits = z.string().transform((text, ctx) => {
  const limits: Partial<Record<RoleName, number>> = {};
  for (const part of text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
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

/**
 * `name=value,…` with each value matching `pattern` → { name: [captured groups as numbers] }.
 * Each name must be one of `names` (checked here, so a typo stops the start before anything
 * runs), and the first number must be at least 1 (`unit` names what it counts).
 */
function namedPairs<Name extends string>(spec: { names: readonly Name[]; what: string; pattern: RegExp; expected: string; unit: string }) {
  return z.string().transform((text, ctx) => {
    const pairs: Partial<Record<Name, number[]>> = {};
    let problems = 0;
    const problem = (message: string) => {
      problems += 1;
      ctx.addIssue({ code: 'custom', message });
    };
    for (const part of text
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean)) {
      const [name, value = ''] = part.split('=').map((s) => s.trim());
      const match = spec.pattern.exec(value);
      if (!name || !match) problem(`expected name=${spec.expected} pairs, got "${part}"`);
      else if (!isOneOf(spec.names, name)) problem(`unknown ${spec.what} "${name}"; known: ${spec.names.join(', ')}`);
      else {
        const numbers = match.slice(1).map(Number);
        if (numbers[0] < 1) problem(`${name} needs at least 1 ${spec.unit}, got ${numbers[0]}`);
        else pairs[name] = numbers;
      }
    }
    return problems > 0 ? z.NEVER : pairs;
  });
}

function isOneOf<Name extends string>(names: readonly Name[], name: string): name is Name {
  return (names as readonly string[]).includes(name);
}

/** A 5- or 6-field cron pattern, or `off`; BullMQ's parser checks the fields when the schedule is saved. */
const cron = z.string().regex(/^(off|\S+( \S+){4,5})$/, 'expected a cron pattern such as "0 * * * *", or off');

/** ALERT_RULES: a JSON array of rules (src/alerts/alert-rules.ts); every problem is named. */
const alertRules = z.string().transform((text, ctx) => {
  const parsed = parseAlertRules(text);
  if ('problems' in parsed) {
    for (const message of parsed.problems) ctx.addIssue({ code: 'custom', message });
    return z.NEVER;
  }
  return Object.freeze(parsed.rules);
});

/** A comma list of origin patterns (see src/origin-patterns.ts); every bad one is named. */
const originList = z.string().transform((text, ctx) => {
  const parsed = parseOriginList(text);
  if ('errors' in parsed) {
    for (const message of parsed.errors) ctx.addIssue({ code: 'custom', message });
    return z.NEVER;
  }
  return parsed.patterns;
});

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** DATABASE_READ_URLS: comma-separated postgres URLs, each checked (a bad one is named with its password masked). */
const postgresUrlList = z.string().transform((text, ctx) => {
  const urls = text
    .split(',')
    .map((u) => u.trim())
    .filter(Boolean);
  for (const url of urls) {
    let ok = /^postgres(ql)?:\/\//.test(url);
    try {
      if (ok) ok = new URL(url).hostname !== '';
    } catch {
      ok = false;
    }
    if (!ok)
      ctx.addIssue({
        code: 'custom',
        message: `expected postgres:// or postgresql:// URLs, got "${url.replace(/:\/\/([^@/]*:)[^@/]*@/, '://$1(hidden)@')}"`,
      });
  }
  if (urls.length === 0) ctx.addIssue({ code: 'custom', message: 'expected at least one postgres:// URL' });
  if (new Set(urls).size !== urls.length) ctx.addIssue({ code: 'custom', message: 'lists one URL twice' });
  return Object.freeze(urls);
});

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
    /**
     * Read replicas (comma-separated postgres:// URLs, each a streaming standby of
     * DATABASE_URL): analytic reads and lists go to them, round robin (docs/architecture.md).
     */
    DATABASE_READ_URLS: postgresUrlList.optional(),
    /** A replica further behind the primary than this (ms) is skipped; commit LSN notes live this long plus 10 s. Default 30 s. */
    DATABASE_READ_MAX_LAG_MS: positiveInt.min(1_000).max(3_600_000).default(30_000),
    /**
     * One server (`redis://`, `rediss://`), or a Redis Cluster: `redis+cluster://host:port,host:port`
     * (`rediss+cluster://` for TLS), or a `redis://host:port,host:port` seed list with REDIS_CLUSTER=true.
     */
    REDIS_URL: z
      .string()
      .regex(/^rediss?(\+cluster)?:\/\//, 'expected a redis://, rediss:// or redis+cluster:// URL')
      .optional(),
    /** REDIS_URL lists the seed nodes of a Redis Cluster (the same as writing it redis+cluster://). */
    REDIS_CLUSTER: bool.optional(),
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
    /**
     * While Redis is unreachable (or the pub/sub subscription is lost), the longest an L1
     * entry is served past its creation or the outage's start (ms, default 5000): the bound
     * on serving an entry another instance invalidated meanwhile.
     */
    CACHE_OUTAGE_TTL_MS: positiveInt.min(100).max(3_600_000).default(5_000),
    /** Events older than this are refused by ingestion and deleted by the cleanupEvents job. */
    EVENT_RETENTION_DAYS: positiveInt.max(3650).default(400),
    /** Window within which a burst of ingested batches triggers one more invalidation per tag (ms). */
    INGEST_INVALIDATION_WINDOW_MS: positiveInt.max(10_000).default(250),
    /** Prefix of every Redis key and channel of this deployment (tests give each file its own). */
    REDIS_PREFIX: z
      .string()
      .regex(/^[\w:.-]*(\{[\w:.-]+\}[\w:.-]*)?$/, 'expected characters of [A-Za-z0-9_:.-], with at most one non-empty {hash tag}')
      .regex(/^.{1,40}$/, 'expected 1-40 characters')
      .default('gp:'),
    /** Postgres flags for the embedded server only (fast, unsafe durability for throwaway data). */
    EMBEDDED_PG_FAST: bool.default(false),
    METRICS_PUBLIC: bool.default(false),
    /** Feed the metrics registry (resolver timing, SQL, HTTP); false only to measure its overhead (bench). */
    METRICS_ENABLED: bool.default(true),
    /** Statements at least this slow (ms) are listed in Metrics.database.slowQueries and logged as warnings; 0: all (tests). */
    SLOW_QUERY_MS: z.coerce.number().int().min(0).default(200),
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
    /**
     * Browser origins allowed to call the API cross-origin, over HTTP (CORS) and WebSocket:
     * exact origins and `*.example.com` patterns (src/origin-patterns.ts), `*` or `none`.
     * Unset: DEVELOPMENT_ORIGINS outside production, none in production. Same-origin pages
     * and clients sending no Origin are always allowed.
     */
    CORS_ORIGINS: originList.optional(),
    /** The former name of CORS_ORIGINS (WebSocket only then), still accepted as an alias. */
    WS_ALLOWED_ORIGINS: originList.optional(),
    /** What a browser opening /graphql gets; unset: `sandbox` outside production, `off` in production. */
    LANDING_PAGE: z.enum(['sandbox', 'graphiql', 'off']).optional(),
    /** A persisted-documents manifest (`{ "<hash>": "<document>" }`): only its operations run, ADMIN keys exempt. */
    TRUSTED_DOCUMENTS: z
      .string()
      .refine((path) => isFile(path), 'expected the path of a readable persisted-documents manifest (JSON); no such file')
      .optional(),
    /** Largest WebSocket message accepted, bytes. */
    WS_MAX_MESSAGE_BYTES: positiveInt.default(64 * 1024),
    /**
     * Bytes a WebSocket may have queued unsent (ws `bufferedAmount`) before the server closes
     * it as a slow consumer (4008), so one client that stops reading cannot grow the process.
     * Default 1 MiB.
     */
    WS_MAX_BUFFERED_BYTES: positiveInt.min(64 * 1024).default(1024 * 1024),
    /** A WebSocket ping this often; a client that has not answered the last one by the next is closed (4008). Default 12 s. */
    WS_KEEP_ALIVE_MS: positiveInt.min(1_000).max(600_000).default(12_000),
    /** A connection that has not sent a request's complete headers within this is closed (408). Default 10 s. */
    HTTP_HEADERS_TIMEOUT_MS: positiveInt.max(600_000).default(10_000),
    /** A request not received in full (headers and body) within this is closed (408). Default 30 s. */
    HTTP_REQUEST_TIMEOUT_MS: positiveInt.max(3_600_000).default(30_000),
    /** An idle keep-alive connection is closed after this. Default 5 s (keep it above a load balancer's idle timeout). */
    HTTP_KEEP_ALIVE_TIMEOUT_MS: positiveInt.max(600_000).default(5_000),
    /** Retries per job kind over the defaults of src/jobs/job-kinds.ts: `kind=attempts/backoffMs,…`, e.g. `generateReport=5/2000`. */
    JOB_RETRY: namedPairs({
      names: JOB_KIND_NAMES,
      what: 'job kind',
      pattern: /^(\d{1,3})\/(\d{1,9})$/,
      expected: 'attempts/backoffMs',
      unit: 'attempt',
    }).default({}),
    /** Fraction of each exponential backoff delay that is random (0 = none, 0.2 = the last 20 % varies). */
    JOB_BACKOFF_JITTER: z.coerce.number().min(0).max(0.9).default(0.2),
    /** Worker concurrency per queue over the defaults (reports=2, maintenance=1, alerts=4), e.g. `maintenance=4`. */
    JOB_CONCURRENCY: namedPairs({
      names: QUEUE_NAMES,
      what: 'queue',
      pattern: /^(\d{1,4})$/,
      expected: 'a number of jobs',
      unit: 'job at a time',
    }).default({}),
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
    /** Alert rules, JSON `[{ "name", "metric", "op", "threshold", "for" }]` (docs/api.md); default: the seven of DEFAULT_ALERT_RULES. */
    ALERT_RULES: alertRules.default(DEFAULT_ALERT_RULES),
    /** Where each alert transition to FIRING or RESOLVED is POSTed as JSON (through a job, with retries); unset: none. */
    ALERT_WEBHOOK_URL: z
      .string()
      .url()
      .regex(/^https?:\/\//, 'expected an http:// or https:// URL')
      .optional(),
    /** How often alert rules are evaluated over the metrics history, ms. Default 10 s (one history step). */
    ALERT_EVALUATION_MS: positiveInt.min(50).max(600_000).default(10_000),
    /** Postgres schema of BullMQ's own tables when REDIS_URL is unset. */
    JOB_PG_SCHEMA: z
      .string()
      .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'expected a lower-case SQL identifier')
      .default('bullmq'),
  })
  .refine((env) => !env.CORS_ORIGINS || !env.WS_ALLOWED_ORIGINS || sameSources(env.CORS_ORIGINS, env.WS_ALLOWED_ORIGINS), {
    path: ['WS_ALLOWED_ORIGINS'],
    message: 'is an alias of CORS_ORIGINS and both are set to different lists: set only CORS_ORIGINS',
  })
  .superRefine((env, ctx) => {
    const problem = redisUrlProblem(env.REDIS_URL, env.REDIS_CLUSTER);
    if (problem) ctx.addIssue({ code: 'custom', path: [problem.variable], message: problem.message });
  })
  .refine((env) => !env.DATABASE_READ_URLS || env.DATABASE_URL, {
    path: ['DATABASE_READ_URLS'],
    message: 'needs DATABASE_URL (the primary they replicate); the embedded Postgres has no replicas',
  })
  .refine((env) => env.SHUTDOWN_DELAY_MS < env.SHUTDOWN_GRACE_MS, {
    path: ['SHUTDOWN_DELAY_MS'],
    message: 'must be less than SHUTDOWN_GRACE_MS (the delay is part of the grace period)',
  })
  // node:http refuses a headers timeout above the request timeout (it could never fire).
  .refine((env) => env.HTTP_HEADERS_TIMEOUT_MS <= env.HTTP_REQUEST_TIMEOUT_MS, {
    path: ['HTTP_HEADERS_TIMEOUT_MS'],
    message: 'must be at most HTTP_REQUEST_TIMEOUT_MS (the headers are part of the request)',
  })
  // Node's advice: an idle keep-alive connection is closed by its own timer, never cut by the headers timeout first.
  .refine((env) => env.HTTP_KEEP_ALIVE_TIMEOUT_MS < env.HTTP_HEADERS_TIMEOUT_MS, {
    path: ['HTTP_KEEP_ALIVE_TIMEOUT_MS'],
    message: 'must be less than HTTP_HEADERS_TIMEOUT_MS',
  });

/** What is wrong with REDIS_URL (and REDIS_CLUSTER) for a cluster, if anything; a single server's URL is ioredis' to read. */
function redisUrlProblem(url: string | undefined, cluster: boolean | undefined): { variable: string; message: string } | null {
  if (url === undefined) return cluster ? { variable: 'REDIS_CLUSTER', message: 'is true but REDIS_URL is unset' } : null;
  if (isClusterUrl(url) && cluster === false)
    return { variable: 'REDIS_CLUSTER', message: 'is false but REDIS_URL is a redis+cluster:// URL: drop one of them' };
  if (!isClusterUrl(url) && !cluster) {
    return url.includes(',')
      ? { variable: 'REDIS_URL', message: 'lists several hosts: write it redis+cluster://host:port,host:port or set REDIS_CLUSTER=true' }
      : null;
  }
  try {
    parseClusterUrl(toClusterUrl(url));
    return null;
  } catch (error) {
    return { variable: 'REDIS_URL', message: `not a Redis Cluster URL: ${(error as Error).message}` };
  }
}

function sameSources(a: OriginPattern[], b: OriginPattern[]): boolean {
  return a.map((p) => p.source).join(',') === b.map((p) => p.source).join(',');
}

export type LandingPage = 'sandbox' | 'graphiql' | 'off';

export type Config = Readonly<
  Omit<z.infer<typeof envSchema>, 'SEED' | 'CORS_ORIGINS' | 'WS_ALLOWED_ORIGINS' | 'LANDING_PAGE'> & {
    SEED: 'demo' | 'none';
    /** Resolved: CORS_ORIGINS, else its alias WS_ALLOWED_ORIGINS, else the default of NODE_ENV. */
    CORS_ORIGINS: readonly OriginPattern[];
    LANDING_PAGE: LandingPage;
    /** True when DATABASE_URL is unset and we run our own Postgres. */
    embedded: boolean;
    /** The seed nodes when REDIS_URL is a Redis Cluster (REDIS_URL is then always written redis+cluster://…); null otherwise. */
    redisCluster: { nodes: readonly RedisNode[] } | null;
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
      const shown =
        name === 'ADMIN_API_KEY'
          ? '(hidden)'
          : JSON.stringify(
              name === 'REDIS_URL' || name === 'DATABASE_READ_URLS' ? value?.replace(/:\/\/([^@/]*:)[^@/]*@/g, '://$1(hidden)@') : value,
            );
      return `${name}=${shown}: ${issue.message}`;
    });
    throw new ConfigError(problems);
  }
  const embedded = parsed.data.DATABASE_URL === undefined;
  const { WS_ALLOWED_ORIGINS: corsAlias, ...values } = parsed.data;
  const clusterUrl =
    values.REDIS_URL && (values.REDIS_CLUSTER || isClusterUrl(values.REDIS_URL)) ? toClusterUrl(values.REDIS_URL) : undefined;
  const production = values.NODE_ENV === 'production';
  const defaultOrigins = production ? [] : (parseOriginList(DEVELOPMENT_ORIGINS) as { patterns: OriginPattern[] }).patterns;
  return Object.freeze({
    ...values,
    CORS_ORIGINS: Object.freeze(values.CORS_ORIGINS ?? corsAlias ?? defaultOrigins),
    LANDING_PAGE: values.LANDING_PAGE ?? (production ? 'off' : 'sandbox'),
    RATE_LIMITS: Object.freeze({ ...parsed.data.RATE_LIMITS }),
    SEED: parsed.data.SEED ?? (embedded ? 'demo' : 'none'),
    embedded,
    ...(clusterUrl ? { REDIS_URL: clusterUrl, REDIS_CLUSTER: true } : {}),
    redisCluster: clusterUrl ? Object.freeze({ nodes: Object.freeze(parseClusterUrl(clusterUrl).nodes) }) : null,
  });
}
