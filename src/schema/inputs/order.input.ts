import { Field, ID, InputType, Int } from 'type-graphql';
import { Channel } from '../enums.js';
import { DateTimeScalar } from '../scalars/index.js';

@InputType()
export class OrderItemInput {
  @Field(() => ID) productId!: string;
  @Field(() => Int) quantity!: number;
}

@InputType()
export class OrderInput {
  @Field(() => ID) storeId!: string;
  @Field(() => ID, { nullable: true }) customerId?: string | null;
  @Field(() => DateTimeScalar, { nullable: true, description: 'Defaults to now; never in the future' }) placedAt?: Date | null;
  @Field(() => Channel, { defaultValue: Channel.IN_STORE }) channel!: Channel;
  @Field(() => [OrderItemInput]) items!: OrderItemInput[];
  @Field(() => String, {
    nullable: true,
    description:
      'Makes the call safe to retry: 1 to 100 printable ASCII characters (space through ~), unique per store; use a fresh ' +
      'random value (a UUID) per order. A later call at the same store with the same key records nothing and returns the ' +
      'order the first call recorded (same id, items and total). The same key with a different order (customerId, channel, ' +
      'placedAt or items differ; items are compared as quantities per product, in any line order) fails with BAD_USER_INPUT. ' +
      'Omitted: every call records a new order.',
  })
  idempotencyKey?: string | null;
}
