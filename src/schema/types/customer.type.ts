import { Field, ID, ObjectType } from 'type-graphql';
import { DateTimeScalar } from '../scalars/index.js';

@ObjectType()
export class Customer {
  @Field(() => ID) id!: number;
  @Field(() => DateTimeScalar) firstSeenAt!: Date;
  @Field(() => String) loyaltyTier!: string;
  homeStoreId!: number | null;
}
