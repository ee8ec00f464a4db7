import { Field, Float, ObjectType } from 'type-graphql';

@ObjectType({ simpleResolvers: true })
export class ProcessMetrics {
  @Field(() => Float) rssBytes!: number;
  @Field(() => Float) heapUsedBytes!: number;
  @Field(() => Float, { description: '99th percentile event-loop lag since start or reset (perf_hooks.monitorEventLoopDelay)' })
  eventLoopLagP99Ms!: number;
}
