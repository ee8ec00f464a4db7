import { Field, ID, InputType } from 'type-graphql';
import { EventType } from '../enums.js';
import { DateTimeScalar, JSONScalar } from '../scalars/index.js';

/**
 * The fields are declared (no own property per field) and decorated by the calls below
 * instead of by @Field on class fields: with ES2022 class fields every instance type-graphql
 * makes of an argument would first define all seven as undefined, then delete those the
 * client left out, which turns each of an ingestEvents batch's 1,000 events into a slow
 * dictionary-mode object. The schema is the same (test: schema.graphql check).
 */
@InputType({ description: "A behavioural event; `id` is the client's and makes ingestion idempotent" })
export class EventInput {
  declare id: string;
  declare storeId: string;
  declare type: EventType;
  declare occurredAt: Date;
  declare sessionId?: string | null;
  declare customerId?: string | null;
  declare properties?: unknown;
}

Field(() => ID)(EventInput.prototype, 'id');
Field(() => ID)(EventInput.prototype, 'storeId');
Field(() => EventType)(EventInput.prototype, 'type');
Field(() => DateTimeScalar)(EventInput.prototype, 'occurredAt');
Field(() => String, { nullable: true })(EventInput.prototype, 'sessionId');
Field(() => ID, { nullable: true })(EventInput.prototype, 'customerId');
Field(() => JSONScalar, { nullable: true, description: 'At most 4 KB of JSON' })(EventInput.prototype, 'properties');
