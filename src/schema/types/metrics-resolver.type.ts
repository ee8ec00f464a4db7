import { Field, Int, ObjectType, registerEnumType } from 'type-graphql';
import { LatencySummary } from './metrics-latency.type.js';

export enum ResolverOrder {
  P95_DESC = 'P95_DESC',
  P99_DESC = 'P99_DESC',
  MEAN_DESC = 'MEAN_DESC',
  COUNT_DESC = 'COUNT_DESC',
  ERRORS_DESC = 'ERRORS_DESC',
  TOTAL_TIME_DESC = 'TOTAL_TIME_DESC',
}
registerEnumType(ResolverOrder, {
  name: 'ResolverOrder',
  description: 'Order of Metrics.resolvers; TOTAL_TIME_DESC = count × mean, where the time goes',
});

@ObjectType({
  simpleResolvers: true,
  description: 'A field that does work (root field, field resolver or @cached field); cache hits included',
})
export class ResolverMetrics {
  @Field(() => String, { description: 'Field coordinate, e.g. Store.revenue' }) field!: string;
  @Field(() => Int) count!: number;
  @Field(() => Int, { description: 'Calls that threw (auth refusals included)' }) errors!: number;
  @Field(() => LatencySummary) latency!: LatencySummary;
}
