import { Field, Float, Int, ObjectType } from 'type-graphql';
import { InventoryStatus } from '../enums.js';

@ObjectType()
export class InventoryLevel {
  @Field(() => Int) onHand!: number;
  @Field(() => Int) reorderPoint!: number;
  @Field(() => InventoryStatus) status!: InventoryStatus;
  @Field(() => Float, { nullable: true, description: "Days the stock lasts at the last 28 days' mean daily sales; null without sales" })
  daysOfCover!: number | null;
  storeId!: number;
  productId!: number;
}
