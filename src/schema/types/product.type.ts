import { Field, Float, ID, ObjectType } from 'type-graphql';

@ObjectType()
export class Product {
  @Field(() => ID) id!: number;
  @Field(() => String) sku!: string;
  @Field(() => String) name!: string;
  @Field(() => Float) unitPrice!: number;
  categoryId!: number;
}
