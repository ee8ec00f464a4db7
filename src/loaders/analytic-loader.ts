import type { RequestContext } from '../context.js';
import type { Db } from '../db/database.js';
import { readCoveredUntil } from '../db/queries/refresh-aggregates.js';
import { byKeys } from './loader-registry.js';

/** The aggregate watermark, read once per request (docs/query-plans.md: views for closed days, base tables after). */
export function coveredUntil(ctx: RequestContext): Promise<string> {
  return ctx.loaders.once('coveredUntil', () => readCoveredUntil(ctx.readDb));
}

/** Today's UTC day, fixed for the whole request so every field agrees. */
export function requestToday(ctx: RequestContext): Promise<string> {
  return ctx.loaders.once('today', async () => new Date().toISOString().slice(0, 10));
}

export interface AnalyticQueryInput<A> {
  db: Db;
  ids: number[];
  args: A;
  coveredUntil: string;
  today: string;
}

/**
 * Builds a per-parent analytic loader: every parent asking with the same arguments in
 * one request is served by one call of `query` (one SQL statement).
 */
export function analyticLoader<A, V>(
  name: string,
  query: (input: AnalyticQueryInput<A>) => Promise<Map<number, V>>,
  empty: (id: number, args: A) => V,
  /** Runs on the batch's rows before they are handed out (e.g. priming entity loaders). */
  afterBatch?: (ctx: RequestContext, rows: Map<number, V>) => Promise<void>,
) {
  return (ctx: RequestContext, id: number, args: A): Promise<V> =>
    ctx.loaders
      .get<number, V>(name, JSON.stringify(args), async (ids) => {
        const [covered, today] = await Promise.all([coveredUntil(ctx), requestToday(ctx)]);
        const rows = await query({ db: ctx.readDb, ids: [...ids], args, coveredUntil: covered, today });
        await afterBatch?.(ctx, rows);
        return byKeys(ids, rows, (key) => empty(key, args));
      })
      .load(id);
}
