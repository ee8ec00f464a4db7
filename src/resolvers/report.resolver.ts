import { Arg, Authorized, Ctx, ID, Query, Resolver } from 'type-graphql';
import { noteUncachedWork, type RequestContext } from '../context.js';
import { ADMINS } from '../schema/auth-checker.js';
import { Report } from '../schema/types/report.type.js';
import { checkJobId } from './job-arguments.js';

@Resolver(() => Report)
export class ReportResolver {
  @Authorized(ADMINS)
  @Query(() => Report, { nullable: true, description: 'A report by the id its generateReport job returned; null when unknown' })
  async report(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string) {
    noteUncachedWork(ctx);
    // Job state: read on the primary, never on a replica that may not have the job's row yet.
    const row = await ctx.services.database.db
      .selectFrom('reports')
      .select(['id', 'kind', 'created_at', 'row_count', 'csv', 'params'])
      .where('id', '=', checkJobId(id))
      .executeTakeFirst();
    if (!row) return null;
    return { id: row.id, kind: row.kind, createdAt: row.created_at, rows: row.row_count, csv: row.csv, params: row.params };
  }
}
