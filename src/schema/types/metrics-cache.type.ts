import { Field, Float, Int, ObjectType } from 'type-graphql';
import { DateTimeScalar } from '../scalars/index.js';

@ObjectType({
  simpleResolvers: true,
  description: 'One @cached field; hits served by the hot path are counted for each field they were built from',
})
export class FieldCacheMetrics {
  @Field(() => String, { description: 'Field coordinate, e.g. Store.revenue' }) field!: string;
  @Field(() => Int) hits!: number;
  @Field(() => Int) misses!: number;
  @Field(() => Int, { description: 'Served stale while one refresh ran (swr)' }) staleHits!: number;
  @Field(() => Int, { description: 'Background refreshes that failed (the stale value was kept)' }) errors!: number;
  @Field(() => Float, { description: '(hits + staleHits) / (hits + staleHits + misses); 0 before any read' }) hitRate!: number;
}

@ObjectType({ simpleResolvers: true })
export class CacheMetrics {
  @Field(() => Int) hits!: number;
  @Field(() => Int) misses!: number;
  @Field(() => Int) staleHits!: number;
  @Field(() => Int, { description: 'Failed refreshes plus failed Redis commands' }) errors!: number;
  @Field(() => Int, { description: 'Redis commands that failed (each served as a miss)' }) redisErrors!: number;
  @Field(() => Float) hitRate!: number;
  @Field(() => Int, { description: 'Whole operations served from stored bytes by the hot path (their fields are counted as hits too)' })
  operationHits!: number;
  @Field(() => Int) l1Entries!: number;
  @Field(() => Float, { description: 'Estimated bytes held by L1 (Float: may pass 2^31)' }) l1Bytes!: number;
  @Field(() => Boolean, { description: 'false without REDIS_URL' }) redisConnected!: boolean;
  @Field(() => Boolean, { description: 'Serving from L1 only because Redis is down or its breaker is open' }) degraded!: boolean;
  @Field(() => Boolean, { description: 'The Redis cache breaker is open: L2 is not asked, invalidations are remembered for replay' })
  breakerOpen!: boolean;
  @Field(() => Int, { description: 'Times the Redis cache breaker opened since start or reset' }) breakerOpenings!: number;
  @Field(() => DateTimeScalar, { nullable: true, description: 'Last opening of the breaker (since start); null before the first' })
  breakerLastOpenedAt!: Date | null;
  @Field(() => DateTimeScalar, {
    nullable: true,
    description:
      'Last closing of the breaker, i.e. L2 in use again (since start; also its first closing once connected); null before the first',
  })
  breakerLastClosedAt!: Date | null;
  @Field(() => DateTimeScalar, {
    nullable: true,
    description: 'Since when this instance may miss invalidations (Redis unreachable or pub/sub lost); null while both work',
  })
  outageSince!: Date | null;
  @Field(() => Int, { description: 'Tags invalidated while Redis was unreachable, waiting to be replayed to L2 and other instances' })
  pendingInvalidationTags!: number;
  @Field(() => Boolean, {
    description: 'More invalidations were missed than remembered: all of L2 and every L1 are dropped once Redis is back',
  })
  pendingInvalidateEverything!: boolean;
  @Field(() => Int, { description: 'Times all of L1 was dropped because Redis became reachable again, since start or reset' })
  l1DropsAfterOutage!: number;
  @Field(() => [FieldCacheMetrics], { description: 'Fields read since start or reset, by coordinate' }) fields!: FieldCacheMetrics[];
}
