import { Arg, Authorized, ID, Resolver, Root, Subscription, type PubSub } from 'type-graphql';
import type { RequestContext } from '../context.js';
import { NotFoundError } from '../errors.js';
import type { JobEventView } from '../jobs/job-event.js';
import { ADMINS } from '../schema/auth-checker.js';
import { JobEvent } from '../schema/types/job-event.type.js';
import { checkJobId, jobsOf } from './job-arguments.js';

/**
 * type-graphql insists on a PubSub once any @Subscription exists; ours subscribe through
 * their own `subscribe` (BullMQ QueueEvents via the job event hub), so this one is never used.
 */
export const NO_PUBSUB: PubSub = {
  publish() {
    throw new Error('No PubSub: subscriptions here provide their own subscribe()');
  },
  subscribe() {
    throw new Error('No PubSub: subscriptions here provide their own subscribe()');
  },
};

async function subscribeJobEvents(
  ctx: RequestContext,
  args: { jobId?: string | null; queue?: string | null },
): Promise<AsyncIterable<JobEventView>> {
  const jobs = jobsOf(ctx);
  const jobId = args.jobId == null ? null : checkJobId(args.jobId, 'jobId');
  // Fails with BAD_USER_INPUT for an unknown queue before anything is opened.
  const queue = args.queue == null ? null : jobs.queues.queue(args.queue).name;
  const stream = await jobs.events.subscribe({ jobId, queue });
  if (!stream) throw new NotFoundError('Job', `${jobId}`);
  return stream;
}

@Resolver()
export class JobEventsResolver {
  @Authorized(ADMINS)
  @Subscription(() => JobEvent, {
    description:
      'Events of one job (jobId: its current state first, then every later event, none missed or repeated; completes after COMPLETED, a final FAILED or removal of the job), of one queue, or of all (these stay open); over graphql-ws',
    subscribe: ({ args, context }) =>
      subscribeJobEvents(context as RequestContext, args as { jobId?: string | null; queue?: string | null }),
  })
  jobEvents(
    @Root() event: JobEventView,
    @Arg('jobId', () => ID, { nullable: true }) _jobId?: string | null,
    @Arg('queue', () => String, { nullable: true }) _queue?: string | null,
  ): JobEventView {
    return event;
  }
}
