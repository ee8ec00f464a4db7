import { Field, ID, ObjectType } from 'type-graphql';
import { DateScalar } from '../scalars/index.js';

@ObjectType({ description: 'A shop of the chain; its analytics are field resolvers (Store.revenue, …)' })
export class Store {
  @Field(() => ID) id!: number;
  @Field(() => String) name!: string;
  @Field(() => String) city!: string;
  @Field(() => DateScalar) openedAt!: string;
}
