import { Field, Float, Int, ObjectType } from 'type-graphql';
import { LatencySummary } from './metrics-latency.type.js';

@ObjectType({ simpleResolvers: true, description: 'The Postgres pool now: open connections, idle ones, callers waiting for one' })
export class PoolMetrics {
  @Field(() => Int) total!: number;
  @Field(() => Int) idle!: number;
  @Field(() => Int) waiting!: number;
  @Field(() => Int, { description: 'DB_POOL_MAX: the most connections the pool opens' }) max!: number;
  @Field(() => Float, { description: 'Connections lent out in percent of max: (total - idle) / max * 100' }) utilizationPercent!: number;
}

@ObjectType({ simpleResolvers: true, description: 'A statement shape at or above SLOW_QUERY_MS' })
export class SlowQuery {
  @Field(() => String, { description: 'Normalized SQL: literals and parameter values are ?, lists collapsed' }) sql!: string;
  @Field(() => Int) count!: number;
  @Field(() => LatencySummary) latency!: LatencySummary;
}

/** SlowQuery.plan: computed on demand (resolvers/slow-query.resolver.ts). */
@ObjectType({ simpleResolvers: true, description: 'How Postgres runs a slow statement: EXPLAIN output' })
export class QueryPlan {
  @Field(() => String, { description: 'The plan as Postgres printed it (FORMAT TEXT), or why there is none' }) text!: string;
  @Field(() => Boolean, { description: 'EXPLAIN (ANALYZE, BUFFERS): the statement ran (read-only SELECTs only); false: plain EXPLAIN' })
  analyzed!: boolean;
  @Field(() => Float, { nullable: true, description: 'Planning Time of an analyzed plan (ms)' }) planningMs!: number | null;
  @Field(() => Float, { nullable: true, description: 'Execution Time of an analyzed plan (ms)' }) executionMs!: number | null;
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
