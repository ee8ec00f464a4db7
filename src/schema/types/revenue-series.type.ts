import { Field, Float, Int, ObjectType } from 'type-graphql';
import { DateScalar } from '../scalars/index.js';

@ObjectType({ simpleResolvers: true })
export class RevenuePoint {
  @Field(() => DateScalar, { description: 'First day of the period' }) period!: string;
  @Field(() => Float) revenue!: number;
  @Field(() => Int) orders!: number;
  @Field(() => Int) items!: number;
}

@ObjectType({ simpleResolvers: true, description: 'Completed orders only; money rounded to cents' })
export class RevenueSeries {
  @Field(() => Float) total!: number;
  @Field(() => Int) orders!: number;
  @Field(() => Int) items!: number;
  @Field(() => Float) averageTicket!: number;
  @Field(() => [RevenuePoint]) points!: RevenuePoint[];
}
