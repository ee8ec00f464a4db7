import { Field, Float, Int, ObjectType } from 'type-graphql';

@ObjectType({
  simpleResolvers: true,
  description: 'Completed orders and ingested visits by ISO day of week (1 = Monday) and hour, UTC; cells with neither are omitted',
})
export class HourlyTraffic {
  @Field(() => Int) dayOfWeek!: number;
  @Field(() => Int) hour!: number;
  @Field(() => Int) orders!: number;
  @Field(() => Float) revenue!: number;
  @Field(() => Int, { description: 'VISIT events ingested for this cell' }) visits!: number;
}
