import { Field, Float, Int, ObjectType } from 'type-graphql';

@ObjectType({
  simpleResolvers: true,
  description: 'Latency in ms: count, mean and max exact; percentiles from an HDR histogram with 3 significant digits (within 0.1 %)',
})
export class LatencySummary {
  @Field(() => Int) count!: number;
  @Field(() => Float) meanMs!: number;
  @Field(() => Float) p50Ms!: number;
  @Field(() => Float) p95Ms!: number;
  @Field(() => Float) p99Ms!: number;
  @Field(() => Float) maxMs!: number;
}
