import { Field, Float, Int, ObjectType } from 'type-graphql';

@ObjectType({ simpleResolvers: true, description: 'Completed orders by ISO day of week (1 = Monday) and hour, UTC' })
export class HourlyTraffic {
  @Field(() => Int) dayOfWeek!: number;
  @Field(() => Int) hour!: number;
  @Field(() => Int) orders!: number;
  @Field(() => Float) revenue!: number;
}
