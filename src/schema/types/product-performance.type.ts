import { Field, Float, Int, ObjectType } from 'type-graphql';

@ObjectType()
export class ProductPerformance {
  @Field(() => Int) unitsSold!: number;
  @Field(() => Float) revenue!: number;
  @Field(() => Float, { description: 'Revenue minus the cost of the units sold' }) margin!: number;
  productId!: number;
}
