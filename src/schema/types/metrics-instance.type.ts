import { Field, Float, ID, Int, ObjectType } from 'type-graphql';
import { DateTimeScalar } from '../scalars/index.js';

@ObjectType({ simpleResolvers: true, description: 'An API instance of the cluster view (published to Redis within the last 30 s)' })
export class MetricsInstance {
  @Field(() => ID, { description: 'host:pid:random' }) id!: string;
  @Field(() => String) host!: string;
  @Field(() => Int) pid!: number;
  @Field(() => String, { description: 'package.json version it runs' }) version!: string;
  @Field(() => DateTimeScalar) startedAt!: Date;
  @Field(() => DateTimeScalar, { description: 'Its last publish (now for the instance answering)' }) lastSeenAt!: Date;
  @Field(() => Boolean, { description: 'The instance answering this request' }) self!: boolean;
  @Field(() => Float, { description: 'HTTP requests per second over the last 60 s of its history' }) requestsPerSecond!: number;
  @Field(() => Float, { description: 'HTTP p99 (ms) over the last 60 s of its history' }) p99Ms!: number;
}
