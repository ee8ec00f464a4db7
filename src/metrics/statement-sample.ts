import type { CompiledQuery } from 'kysely';
import pg from 'pg';

/** Longest statement text kept for a sample (characters): longer ones are shown, never explained. */
const MAX_SQL_CHARS = 32_768;
/** Most parameter text kept per sample (characters, all parameters together). */
const MAX_PARAMETER_CHARS = 16_384;
/** Parameters past this many are not kept. */
const MAX_PARAMETERS = 100;
/** Statements over these tables carry credentials (API key hashes): their parameter values are never shown, in any form. */
const CREDENTIAL_TABLES = /\bapi_keys\b/i;

/** Does the statement read or write credentials (so its parameters must stay hidden)? */
export function touchesCredentials(sql: string): boolean {
  return CREDENTIAL_TABLES.test(sql);
}

/**
 * One execution of a slow statement as it ran: the statement text Kysely sent (with $1…
 * placeholders) and its parameters as the text pg sent for them. Kept per slow shape so
 * an admin can ask for its plan (src/metrics/query-plans.ts).
 */
export interface StatementSample {
  sql: string;
  /** Each parameter as pg sent it (null is SQL NULL); cut to the bounds above when `complete` is false. */
  parameters: Array<string | null>;
  durationMs: number;
  /** Text and every parameter are whole: the statement can be run again exactly (EXPLAIN). */
  complete: boolean;
}

/** pg's own conversion of a JavaScript value to the text it sends (dates, arrays, JSON); absent from its typings. */
const prepareValue = (pg as unknown as { utils: { prepareValue(value: unknown): unknown } }).utils.prepareValue;

function parameterText(value: unknown): string | null {
  const prepared = prepareValue(value);
  if (prepared === null || prepared === undefined) return null;
  // bytea travels as binary; its text form is hex.
  if (Buffer.isBuffer(prepared)) return `\\x${prepared.toString('hex')}`;
  return String(prepared);
}

export function sampleOf(query: CompiledQuery, durationMs: number): StatementSample {
  let complete = query.sql.length <= MAX_SQL_CHARS && query.parameters.length <= MAX_PARAMETERS;
  let budget = MAX_PARAMETER_CHARS;
  const parameters: Array<string | null> = [];
  for (const value of query.parameters.slice(0, MAX_PARAMETERS)) {
    const text = parameterText(value);
    if (text !== null && text.length > budget) {
      parameters.push(`${text.slice(0, Math.max(0, budget))}…`);
      complete = false;
      budget = 0;
      continue;
    }
    parameters.push(text);
    budget -= text?.length ?? 0;
  }
  return { sql: query.sql.slice(0, MAX_SQL_CHARS), parameters, durationMs, complete };
}
