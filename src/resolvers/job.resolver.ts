import { Arg, Authorized, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import type { RequestContext } from '../context.js';
import { PageSizeArg } from '../schema/arguments.js';
import { ADMINS } from '../schema/auth-checker.js';
import { Job, JobState } from '../schema/types/job.type.js';
import { checkJobId, jobsOf } from './job-arguments.js';

/** Reading and steering jobs and queues (ADMIN only); unknown ids are NOT_FOUND, unknown queues BAD_USER_INPUT. */
@Resolver(() => Job)
export class JobResolver {
  @Authorized(ADMINS)
  @Query(() => Job, { nullable: true, description: 'null when no queue has a job with this id (finished jobs are kept JOB_KEEP_HOURS)' })
  async job(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string) {
    return jobsOf(ctx).admin.job(checkJobId(id));
  }

  @Authorized(ADMINS)
  @Query(() => [Job], { description: 'Newest first; queue and state narrow the list' })
  async jobs(
    @Ctx() ctx: RequestContext,
    @Arg('queue', () => String, { nullable: true }) queue: string | null | undefined,
    @Arg('state', () => JobState, { nullable: true }) state: JobState | null | undefined,
    @PageSizeArg('first', 20, { min: 1 }) first: number,
  ) {
    return jobsOf(ctx).admin.list(queue ?? null, state ?? null, first);
  }

  @Authorized(ADMINS)
  @Mutation(() => Job, { description: 'A FAILED job back to waiting (it gets one more attempt); other states are BAD_USER_INPUT' })
  async retryJob(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string) {
    return jobsOf(ctx).admin.retry(checkJobId(id));
  }

  @Authorized(ADMINS)
  @Mutation(() => Boolean, { description: 'Removes a job that is not running' })
  async removeJob(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string) {
    return jobsOf(ctx).admin.remove(checkJobId(id));
  }

  @Authorized(ADMINS)
  @Mutation(() => Int, { description: 'Every FAILED job of the queue (default: all queues) back to waiting; returns how many' })
  async retryFailedJobs(@Ctx() ctx: RequestContext, @Arg('queue', () => String, { nullable: true }) queue?: string | null) {
    return jobsOf(ctx).admin.retryFailed(queue ?? null);
  }

  @Authorized(ADMINS)
  @Mutation(() => Boolean, { description: 'No worker anywhere takes new jobs of the queue until resumeQueue; running jobs finish' })
  async pauseQueue(@Ctx() ctx: RequestContext, @Arg('queue', () => String) queue: string) {
    return jobsOf(ctx).admin.setPaused(queue, true);
  }

  @Authorized(ADMINS)
  @Mutation(() => Boolean)
  async resumeQueue(@Ctx() ctx: RequestContext, @Arg('queue', () => String) queue: string) {
    return jobsOf(ctx).admin.setPaused(queue, false);
  }
}
