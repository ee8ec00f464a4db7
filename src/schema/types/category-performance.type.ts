import { Field, Float, Int, ObjectType } from 'type-graphql';

@ObjectType()
export class CategoryPerformance {
  @Field(() => Float) revenue!: number;
  @Field(() => Int) unitsSold!: number;
  @Field(() => Float, { description: "This category's share of all categories' revenue, 0..1" }) share!: number;
  categoryId!: number;
}
