import { Field, Float, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { DateTimeScalar, JSONScalar } from '../scalars/index.js';

export enum JobState {
  WAITING = 'WAITING',
  DELAYED = 'DELAYED',
  ACTIVE = 'ACTIVE',
  COMPLETED = 'COMPLETED',
  FAILED = 'FAILED',
  PAUSED = 'PAUSED',
}
registerEnumType(JobState, {
  name: 'JobState',
  description: 'DELAYED: waiting for a retry backoff (or a schedule) to pass; PAUSED: waiting on a paused queue',
});

@ObjectType({ simpleResolvers: true, description: 'A background job (BullMQ) on one of the queues `reports`, `maintenance` and `alerts`' })
export class Job {
  @Field(() => ID) id!: string;
  @Field(() => String) queue!: string;
  @Field(() => String, { description: 'generateReport, refreshAggregates, warmCache, cleanupEvents or probe' }) kind!: string;
  @Field(() => JobState) state!: JobState;
  @Field(() => Float, { description: 'Fraction done, 0..1' }) progress!: number;
  @Field(() => Int, { description: 'Attempts started so far (the running one included)' }) attempts!: number;
  @Field(() => Int, { description: 'Attempts allowed before the job fails for good' }) maxAttempts!: number;
  @Field(() => String, { nullable: true }) failedReason!: string | null;
  @Field(() => JSONScalar, { nullable: true, description: 'What the job returned (generateReport: { reportId })' }) result!: unknown;
  @Field(() => JSONScalar, { nullable: true, description: "The job's input" }) data!: unknown;
  @Field(() => DateTimeScalar) createdAt!: Date;
  @Field(() => DateTimeScalar, { nullable: true }) startedAt!: Date | null;
  @Field(() => DateTimeScalar, { nullable: true }) finishedAt!: Date | null;
}
