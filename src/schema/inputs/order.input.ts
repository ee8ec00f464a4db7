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
}
