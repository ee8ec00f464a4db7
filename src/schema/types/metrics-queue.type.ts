import { Field, Float, Int, ObjectType } from 'type-graphql';

@ObjectType({ simpleResolvers: true, description: 'Jobs of one queue by state, read live, and the jobs it finished since Metrics.since' })
export class QueueMetrics {
  @Field(() => String) name!: string;
  @Field(() => Int) waiting!: number;
  @Field(() => Int) active!: number;
  @Field(() => Int) completed!: number;
  @Field(() => Int) failed!: number;
  @Field(() => Int) delayed!: number;
  @Field(() => Int) paused!: number;
  @Field(() => Int, { description: 'Jobs that completed since Metrics.since (queue-wide: every worker, as QueueEvents reports them)' })
  completedInWindow!: number;
  @Field(() => Int, { description: 'Jobs that failed for good (no attempt left) since Metrics.since; retried attempts are not failures' })
  failedInWindow!: number;
  @Field(() => Float, { description: '(completedInWindow + failedInWindow) per minute since Metrics.since' })
  throughputPerMinute!: number;
  @Field(() => Float, {
    nullable: true,
    description: 'completedInWindow / (completedInWindow + failedInWindow), 0..1; null when none finished',
  })
  successRate!: number | null;
}
