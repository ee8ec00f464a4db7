import { Field, Float, Int, ObjectType } from 'type-graphql';
import { LatencySummary } from './metrics-latency.type.js';

@ObjectType({ simpleResolvers: true, description: 'The Postgres pool now: open connections, idle ones, callers waiting for one' })
export class PoolMetrics {
  @Field(() => Int) total!: number;
  @Field(() => Int) idle!: number;
  @Field(() => Int) waiting!: number;
}

@ObjectType({ simpleResolvers: true, description: 'A statement shape at or above SLOW_QUERY_MS' })
export class SlowQuery {
  @Field(() => String, { description: 'Normalized SQL: literals and parameter values are ?, lists collapsed' }) sql!: string;
  @Field(() => Int) count!: number;
  @Field(() => LatencySummary) latency!: LatencySummary;
}

/** slowQueries(limit) is a field resolver (resolvers/metrics.resolver.ts). */
@ObjectType({ simpleResolvers: true, description: 'SQL statements run through Kysely since start or resetMetrics' })
export class DatabaseMetrics {
  @Field(() => Int) queries!: number;
  @Field(() => Int) errors!: number;
  @Field(() => LatencySummary) latency!: LatencySummary;
  @Field(() => Float, { description: 'SLOW_QUERY_MS' }) slowQueryThresholdMs!: number;
  @Field(() => Int, { description: 'Statements at or above the threshold (all shapes)' }) slowQueryCount!: number;
  @Field(() => PoolMetrics) pool!: PoolMetrics;
}
