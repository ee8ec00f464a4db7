import type pg from 'pg';
import type { Logger } from '../logger.js';
import { touchesCredentials, type StatementSample } from './statement-sample.js';

/** SET LOCAL statement_timeout of an analyzed plan (ms): EXPLAIN ANALYZE runs the statement. */
export const PLAN_STATEMENT_TIMEOUT_MS = 5_000;
/** A plan is kept this long per sample (ms): a dashboard polling its slow statements does not run them again each time. */
const PLAN_MEMO_MS = 30_000;
/** Plans waiting for the planner at most (one at a time, each up to the timeout): more are refused, not queued. A query for slowQueries(limit: N) { plan } asks N at once. */
const MAX_PENDING_PLANS = 64;

export interface QueryPlan {
  text: string;
  /** EXPLAIN (ANALYZE, BUFFERS) ran the statement; false: plain EXPLAIN (or no plan, the text says why). */
  analyzed: boolean;
  planningMs: number | null;
  executionMs: number | null;
}

/** Comments and quoted text (string, dollar-quoted, identifiers): words inside them are not SQL keywords. */
const NOT_KEYWORDS = /--[^\n]*|\/\*[\s\S]*?\*\/|'(?:[^']|'')*'|\$(\w*)\$[\s\S]*?\$\1\$|"(?:[^"]|"")*"/g;
/** Words that make a statement write (or lock, or create): any of them and it is only EXPLAINed, never run. */
const WRITING = new Set(['INSERT', 'UPDATE', 'DELETE', 'MERGE', 'INTO', 'TRUNCATE', 'COPY', 'CALL', 'DO', 'LOCK', 'SHARE', 'NOWAIT']);

/** Statements Postgres has a plan for (transaction control, SET and the like have none). */
const EXPLAINABLE = new Set(['SELECT', 'WITH', 'VALUES', 'TABLE', 'INSERT', 'UPDATE', 'DELETE', 'MERGE']);

function wordsOf(sql: string): string[] {
  return (
    sql
      .replace(NOT_KEYWORDS, ' ')
      .toUpperCase()
      .match(/[A-Z_][A-Z0-9_$]*/g) ?? []
  );
}

/** Does EXPLAIN apply to the statement at all (its leading word)? */
export function hasPlan(sql: string): boolean {
  return EXPLAINABLE.has(wordsOf(sql)[0] ?? '');
}

/**
 * May the statement be run by EXPLAIN ANALYZE? Only a SELECT, or WITH … SELECT, with no
 * data-modifying CTE or locking clause: decided on its words outside comments and quotes
 * (the leading one must be SELECT or WITH, and none may be in WRITING). The read-only
 * transaction it runs in is the second guard: a write that got past this fails there.
 */
export function isReadOnlySelect(sql: string): boolean {
  const words = wordsOf(sql);
  if (words[0] !== 'SELECT' && words[0] !== 'WITH') return false;
  if (words[0] === 'WITH' && !words.includes('SELECT')) return false;
  return !words.some((word) => WRITING.has(word));
}

function millisecondsOf(text: string, label: 'Planning' | 'Execution'): number | null {
  const match = new RegExp(`^\\s*${label} Time: ([\\d.]+) ms`, 'm').exec(text);
  return match ? Number(match[1]) : null;
}

function unavailable(reason: string): QueryPlan {
  return { text: reason, analyzed: false, planningMs: null, executionMs: null };
}

/**
 * SlowQuery.plan: the plan of a slow shape's sample, on demand. It only ever runs a
 * statement this server recorded itself (a DatabaseRecorder sample: Kysely's text with $n
 * placeholders and the parameters it ran with), never text from a caller.
 *   - read-only SELECT / WITH … SELECT: EXPLAIN (ANALYZE, BUFFERS, FORMAT TEXT), which runs it;
 *   - anything else: plain EXPLAIN, which plans without running.
 * Both inside BEGIN READ ONLY with SET LOCAL statement_timeout, then ROLLBACK, on a
 * connection of the pool outside Kysely (so plans are not recorded as statements).
 * A failure is a plan whose text says why (and a warning in the log), never an error of
 * the query. Plans run one at a time (they hold a pool connection) and are kept 30 s.
 */
export class QueryPlanner {
  private queue: Promise<unknown> = Promise.resolve();
  private pending = 0;
  private readonly memo = new Map<StatementSample, { plan: QueryPlan; at: number }>();

  constructor(
    private readonly pool: pg.Pool,
    private readonly logger: Logger,
  ) {}

  plan(sample: StatementSample | null): Promise<QueryPlan> {
    if (!sample) return Promise.resolve(unavailable('No plan: this row sums shapes past the limit of distinct slow statements'));
    if (!sample.complete)
      return Promise.resolve(
        unavailable('No plan: the statement or its parameters were too long to keep whole, so it cannot be run again'),
      );
    if (!hasPlan(sample.sql))
      return Promise.resolve(unavailable('No plan: Postgres plans only SELECT, VALUES, INSERT, UPDATE, DELETE and MERGE'));
    const known = this.memo.get(sample);
    if (known && Date.now() - known.at < PLAN_MEMO_MS) return Promise.resolve(known.plan);
    if (this.pending >= MAX_PENDING_PLANS)
      return Promise.resolve(unavailable(`No plan: ${MAX_PENDING_PLANS} plans are already being computed; ask again in a moment`));
    this.pending += 1;
    const next = this.queue.then(() => this.explain(sample)).finally(() => (this.pending -= 1));
    // explain() never rejects (a failure is a plan saying why): the chain only orders the plans.
    this.queue = next;
    return next;
  }

  private async explain(sample: StatementSample): Promise<QueryPlan> {
    // A plan with the sample's values shows them as constants (Index Cond: key_hash = '…'): statements on
    // credentials get the generic plan (Postgres 16+), which takes no values and runs nothing.
    const secret = touchesCredentials(sample.sql);
    const analyze = !secret && isReadOnlySelect(sample.sql);
    const explain = secret
      ? 'EXPLAIN (GENERIC_PLAN, FORMAT TEXT) '
      : analyze
        ? 'EXPLAIN (ANALYZE, BUFFERS, FORMAT TEXT) '
        : 'EXPLAIN (FORMAT TEXT) ';
    let plan: QueryPlan;
    try {
      const rows = await this.inReadOnlyTransaction((client) =>
        client.query<{ 'QUERY PLAN': string }>(explain + sample.sql, secret ? [] : sample.parameters),
      );
      const text = rows.rows.map((row) => row['QUERY PLAN']).join('\n');
      plan = analyze
        ? { text, analyzed: true, planningMs: millisecondsOf(text, 'Planning'), executionMs: millisecondsOf(text, 'Execution') }
        : { text, analyzed: false, planningMs: null, executionMs: null };
    } catch (error) {
      // The message may quote a value (invalid input syntax …): for credentials only the log, which admins of the host read, has it.
      this.logger.warn({ err: error, sql: sample.sql, analyze }, 'EXPLAIN of a slow statement failed');
      plan = unavailable(
        secret
          ? 'No plan: the generic plan of a statement on credentials failed (Postgres 16 or later is needed; the log has the error)'
          : `No plan: EXPLAIN failed: ${(error as Error).message}`,
      );
    }
    this.memo.set(sample, { plan, at: Date.now() });
    for (const [kept, { at }] of this.memo) if (Date.now() - at >= PLAN_MEMO_MS) this.memo.delete(kept);
    return plan;
  }

  private async inReadOnlyTransaction<T>(run: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN READ ONLY');
      await client.query(`SET LOCAL statement_timeout = ${PLAN_STATEMENT_TIMEOUT_MS}`);
      return await run(client);
    } finally {
      try {
        await client.query('ROLLBACK');
      } catch (error) {
        // A connection that cannot roll back is not given back to the pool.
        broken = error as Error;
        this.logger.warn({ err: error }, 'ROLLBACK after EXPLAIN failed; the connection is discarded');
      }
      client.release(broken);
    }
  }
}
