import { Field, ID, InputType } from 'type-graphql';
import { EventType } from '../enums.js';
import { DateTimeScalar, JSONScalar } from '../scalars/index.js';

@InputType({ description: "A behavioural event; `id` is the client's and makes ingestion idempotent" })
export class EventInput {
  @Field(() => ID) id!: string;
  @Field(() => ID) storeId!: string;
  @Field(() => EventType) type!: EventType;
  @Field(() => DateTimeScalar) occurredAt!: Date;
  @Field(() => String, { nullable: true }) sessionId?: string | null;
  @Field(() => ID, { nullable: true }) customerId?: string | null;
  @Field(() => JSONScalar, { nullable: true, description: 'At most 4 KB of JSON' }) properties?: unknown;
}
