import { Field, Float, Int, ObjectType } from 'type-graphql';
import { DateTimeScalar } from '../scalars/index.js';
import { LatencySummary } from './metrics-latency.type.js';

@ObjectType({ simpleResolvers: true, description: 'Cache reads of one @cached field in one step of history' })
export class MetricsPointField {
  @Field(() => String, { description: 'Field coordinate, e.g. Store.revenue' }) field!: string;
  @Field(() => Int) hits!: number;
  @Field(() => Int) staleHits!: number;
  @Field(() => Int) misses!: number;
}

@ObjectType({
  simpleResolvers: true,
  description:
    'One step of Metrics.history, merged from the 10 s snapshots in it (of every live instance under CLUSTER): counters summed, latencies from merged HDR histograms, gauges the last value per instance summed',
})
export class MetricsPoint {
  @Field(() => DateTimeScalar, { description: 'Start of the step (epoch ms a multiple of stepSeconds × 1000)' }) at!: Date;
  @Field(() => Int) stepSeconds!: number;
  @Field(() => Int, { description: 'Instances merged into this point' }) instances!: number;
  @Field(() => Int, { description: 'POST/GET /graphql requests in the step' }) requests!: number;
  @Field(() => Float, { description: 'Per instance over the time its snapshots cover, summed' }) requestsPerSecond!: number;
  @Field(() => Int) errors!: number;
  @Field(() => Float, { description: 'errors / requests, 0..1 (0 without requests)' }) errorRate!: number;
  @Field(() => LatencySummary, { description: 'HTTP /graphql latency in the step' }) latency!: LatencySummary;
  @Field(() => LatencySummary, {
    description:
      'Resolver latency of the @cached (analytic) fields in the step, field cache hits included (operations the hot path answers whole run no resolver)',
  })
  analyticsLatency!: LatencySummary;
  @Field(() => Int) cacheHits!: number;
  @Field(() => Int) cacheStaleHits!: number;
  @Field(() => Int) cacheMisses!: number;
  @Field(() => Float, { nullable: true, description: '(hits + stale) / (hits + stale + misses), 0..1; null without cache reads' })
  cacheHitRate!: number | null;
  @Field(() => [MetricsPointField], { description: 'Per field coordinate, most reads first' }) cacheFields!: MetricsPointField[];
  @Field(() => Float, { description: 'L1 bytes: last value in the step, summed over instances' }) l1Bytes!: number;
  @Field(() => Boolean, { description: 'The Redis cache breaker was open at some snapshot of the step' }) redisDegraded!: boolean;
  @Field(() => Int) poolTotal!: number;
  @Field(() => Int) poolIdle!: number;
  @Field(() => Int) poolWaiting!: number;
  @Field(() => Int) poolMax!: number;
  @Field(() => Float, { description: '(poolTotal - poolIdle) / poolMax × 100' }) poolUtilizationPercent!: number;
  @Field(() => Float, { description: 'Event-loop lag p99 (ms): the max over snapshots and instances' }) eventLoopLagP99Ms!: number;
  @Field(() => Float, { description: 'Resident memory: last value per instance, summed' }) rssBytes!: number;
  @Field(() => Int, {
    description: 'Jobs completed in the step, all queues (queue-wide: every instance sees every job, so CLUSTER takes the largest count)',
  })
  jobsCompleted!: number;
  @Field(() => Int, { description: 'Jobs failed for good in the step, all queues (queue-wide, as jobsCompleted)' }) jobsFailed!: number;
}
