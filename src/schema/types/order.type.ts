import { Field, Float, ID, ObjectType } from 'type-graphql';
import { Channel, OrderStatus } from '../enums.js';
import { DateTimeScalar } from '../scalars/index.js';

@ObjectType()
export class Order {
  @Field(() => ID) id!: number;
  @Field(() => DateTimeScalar) placedAt!: Date;
  @Field(() => OrderStatus) status!: OrderStatus;
  @Field(() => Channel) channel!: Channel;
  @Field(() => Float) total!: number;
  storeId!: number;
  customerId!: number | null;
}
