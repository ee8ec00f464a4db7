import { Field, Float, ObjectType } from 'type-graphql';
import { DateTimeScalar } from '../scalars/index.js';
import { AlertState } from './alert.type.js';

@ObjectType({ simpleResolvers: true, description: 'One state change of an alert rule, seen once cluster-wide (Subscription.alertEvents)' })
export class AlertEvent {
  @Field(() => String) name!: string;
  @Field(() => String) metric!: string;
  @Field(() => String) op!: string;
  @Field(() => Float) threshold!: number;
  @Field(() => AlertState) state!: AlertState;
  @Field(() => AlertState) previousState!: AlertState;
  @Field(() => Float, { nullable: true, description: 'The value that caused it; null = no data' }) value!: number | null;
  @Field(() => DateTimeScalar) at!: Date;
  @Field(() => String) summary!: string;
}
