import { Field, Float, Int, ObjectType } from 'type-graphql';

@ObjectType({ simpleResolvers: true })
export class CustomerInsights {
  @Field(() => Int, { description: 'Customers whose first completed order at the store is in the range' }) newCustomers!: number;
  @Field(() => Int, { description: 'Customers ordering in the range who had ordered at the store before it' }) returningCustomers!: number;
  @Field(() => Float, { description: "Share of the range's customers with two or more orders in it" }) repeatRate!: number;
  @Field(() => Float, { description: 'Mean completed spend at the store up to the range end' }) averageLifetimeValue!: number;
  @Field(() => Int, { description: 'Distinct known customers with ingested events in the range' }) activeCustomers!: number;
}
