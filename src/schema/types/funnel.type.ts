import { Field, Float, Int, ObjectType } from 'type-graphql';

@ObjectType({ simpleResolvers: true, description: 'Counts of ingested events in the range' })
export class Funnel {
  @Field(() => Int) visits!: number;
  @Field(() => Int) pageViews!: number;
  @Field(() => Int) addToCarts!: number;
  @Field(() => Int) checkouts!: number;
  @Field(() => Float, { description: 'checkouts / visits; 0 without visits' }) conversionRate!: number;
}
