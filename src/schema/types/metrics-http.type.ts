import { Field, Int, ObjectType } from 'type-graphql';
import { LatencySummary } from './metrics-latency.type.js';

@ObjectType({ simpleResolvers: true })
export class HttpStatusCount {
  @Field(() => Int) status!: number;
  @Field(() => Int) count!: number;
}

@ObjectType({ simpleResolvers: true, description: 'POST/GET /graphql requests since start or resetMetrics, whoever answered them' })
export class HttpMetrics {
  @Field(() => Int) requests!: number;
  @Field(() => Int, { description: 'Responses with status >= 400 or carrying GraphQL errors' }) errors!: number;
  @Field(() => Int, { description: 'Requests answered from stored operation bytes before Apollo (fully cached operations)' })
  hotPath!: number;
  @Field(() => LatencySummary) latency!: LatencySummary;
  @Field(() => [HttpStatusCount], { description: 'Requests by response status, ascending' }) statuses!: HttpStatusCount[];
  @Field(() => Int, {
    description:
      'WebSockets on /graphql closed with 4008 because their client read too slowly: over WS_MAX_BUFFERED_BYTES unsent, a ping unanswered for WS_KEEP_ALIVE_MS, or a subscription over 10000 events behind',
  })
  wsSlowConsumerCloses!: number;
}
