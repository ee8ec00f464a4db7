import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../context.js';
import { ServiceUnavailableError } from '../errors.js';
import type { SlowQueryRow } from '../metrics/database-recorder.js';
import type { QueryPlan as Plan } from '../metrics/query-plans.js';
import { touchesCredentials } from '../metrics/statement-sample.js';
import { QueryPlan, SlowQuery } from '../schema/types/metrics-database.type.js';

const REDACTED = '(redacted: credentials)';

/**
 * A slow statement's sample: its parameters, and its plan computed only when selected
 * (Metrics is ADMIN-only at its root). The plan runs the server's own recorded statement,
 * never caller text (src/metrics/query-plans.ts).
 */
@Resolver(() => SlowQuery)
export class SlowQueryResolver {
  @FieldResolver(() => [String], {
    description:
      'Parameters ($1, $2…) of the slowest execution, as sent to Postgres (NULL for null; long values cut with …; redacted for statements on api_keys)',
  })
  sampleParameters(@Root() row: SlowQueryRow): string[] {
    const sample = row.sample;
    if (!sample) return [];
    if (touchesCredentials(sample.sql)) return sample.parameters.map(() => REDACTED);
    return sample.parameters.map((value) => value ?? 'NULL');
  }

  @FieldResolver(() => QueryPlan, {
    description:
      'EXPLAIN of the slowest execution with its parameters: ANALYZE and BUFFERS for a read-only SELECT (in a read-only ' +
      'transaction, 5 s statement timeout, rolled back), plain EXPLAIN for anything else; a failure is a plan saying why',
  })
  plan(@Root() row: SlowQueryRow, @Ctx() ctx: RequestContext): Promise<Plan> {
    const metrics = ctx.services.metrics;
    if (!metrics) throw new ServiceUnavailableError('Metrics are not collected by this process');
    return metrics.database.plans.plan(row.sample);
  }
}
