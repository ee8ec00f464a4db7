import { Field, Float, Int, ObjectType } from 'type-graphql';

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
  @Field(() => [FieldCacheMetrics], { description: 'Fields read since start or reset, by coordinate' }) fields!: FieldCacheMetrics[];
}
