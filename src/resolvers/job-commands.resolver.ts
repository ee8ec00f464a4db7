import { Arg, Authorized, Ctx, ID, Mutation, Resolver } from 'type-graphql';
import { scopedStoreIds } from '../auth/principal.js';
import type { RequestContext } from '../context.js';
import { checkRange, parseIds } from '../schema/arguments.js';
import { ADMINS, principalOf } from '../schema/auth-checker.js';
import { DateRange } from '../schema/inputs/date-range.input.js';
import { Job } from '../schema/types/job.type.js';
import { ReportKind } from '../schema/types/report.type.js';
import { jobsOf } from './job-arguments.js';
import { expectKnownStores } from './known-stores.js';

/** Stores asked for must exist and be in the key's scope; none asked = the key's whole scope (null = all). */
async function storesFor(ctx: RequestContext, storeIds: string[] | null | undefined): Promise<number[] | null> {
  const requested = storeIds ? parseIds(storeIds, 'storeIds') : null;
  const scoped = scopedStoreIds(principalOf(ctx), requested);
  if (requested && requested.length > 0) await expectKnownStores(ctx, requested);
  return scoped === null ? null : [...scoped].sort((a, b) => a - b);
}

/**
 * Work an admin asks for. Each returns the job at once (follow it with jobEvents); asking
 * again for the same work while it is pending returns the same job.
 */
@Resolver()
export class JobCommandsResolver {
  @Authorized(ADMINS)
  @Mutation(() => Job, { description: 'Builds a CSV report (Query.report); the job ends with result { reportId }' })
  async generateReport(
    @Ctx() ctx: RequestContext,
    @Arg('kind', () => ReportKind) kind: ReportKind,
    @Arg('range', () => DateRange) range: DateRange,
    @Arg('storeIds', () => [ID], { nullable: true }) storeIds?: string[] | null,
  ) {
    const data = { kind, range: checkRange(range), storeIds: await storesFor(ctx, storeIds) };
    return jobsOf(ctx).queues.enqueue('generateReport', data);
  }

  @Authorized(ADMINS)
  @Mutation(() => Job, { description: 'Refreshes the materialized views, invalidates what changed and queues a warmCache of it' })
  async refreshAggregates(@Ctx() ctx: RequestContext) {
    return jobsOf(ctx).queues.enqueue('refreshAggregates', {});
  }

  @Authorized(ADMINS)
  @Mutation(() => Job, {
    description: "Fills the cache for the stores (default: all in the key's scope) over the range (default: the last 7, 30 and 90 days)",
  })
  async warmCache(
    @Ctx() ctx: RequestContext,
    @Arg('range', () => DateRange, { nullable: true }) range?: DateRange | null,
    @Arg('storeIds', () => [ID], { nullable: true }) storeIds?: string[] | null,
  ) {
    const data = { storeIds: await storesFor(ctx, storeIds), ranges: range ? [checkRange(range)] : null };
    return jobsOf(ctx).queues.enqueue('warmCache', data);
  }
}
