import { Field, Float, Int, ObjectType } from 'type-graphql';

@ObjectType({ simpleResolvers: true })
export class ProcessMetrics {
  @Field(() => Float) rssBytes!: number;
  @Field(() => Float) heapUsedBytes!: number;
  @Field(() => Float, { description: '99th percentile event-loop lag since start or reset (perf_hooks.monitorEventLoopDelay)' })
  eventLoopLagP99Ms!: number;
  @Field(() => Int, {
    description: 'Handles and requests keeping the event loop alive (sockets, timers…; process.getActiveResourcesInfo): grows with a leak',
  })
  activeResources!: number;
  @Field(() => Int, { description: 'Listeners registered on the process object: grows with a listener leak' })
  processListeners!: number;
}
