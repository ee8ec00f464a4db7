import { Field, Float, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { DateTimeScalar, JSONScalar } from '../scalars/index.js';

export enum JobEventType {
  WAITING = 'WAITING',
  ACTIVE = 'ACTIVE',
  PROGRESS = 'PROGRESS',
  COMPLETED = 'COMPLETED',
  FAILED = 'FAILED',
  RETRYING = 'RETRYING',
  STALLED = 'STALLED',
}
registerEnumType(JobEventType, {
  name: 'JobEventType',
  description:
    'RETRYING: an attempt failed and another follows after delayMs; STALLED: the worker died mid-job and the job is taken up again',
});

@ObjectType({
  simpleResolvers: true,
  description: "One step of a job's life; a jobEvents subscription for a job starts with its current state",
})
export class JobEvent {
  @Field(() => ID) jobId!: string;
  @Field(() => String) queue!: string;
  @Field(() => String) kind!: string;
  @Field(() => JobEventType) type!: JobEventType;
  @Field(() => Float, { nullable: true, description: 'PROGRESS (and ACTIVE/COMPLETED snapshots): fraction done, 0..1' }) progress!:
    number | null;
  @Field(() => String, { nullable: true }) failedReason!: string | null;
  @Field(() => Int, { description: 'The attempt this event belongs to, from 1 (WAITING: the attempt it waits for)' }) attempt!: number;
  @Field(() => DateTimeScalar) at!: Date;
  @Field(() => Int, { nullable: true, description: 'RETRYING: backoff before the next attempt, ms' }) delayMs!: number | null;
  @Field(() => JSONScalar, { nullable: true, description: 'COMPLETED: what the job returned' }) result!: unknown;
}
