import { Field, Float, Int, ObjectType, registerEnumType } from 'type-graphql';
import { DateTimeScalar } from '../scalars/index.js';

export enum AlertState {
  INACTIVE = 'INACTIVE',
  PENDING = 'PENDING',
  FIRING = 'FIRING',
  RESOLVED = 'RESOLVED',
}
registerEnumType(AlertState, {
  name: 'AlertState',
  description:
    'PENDING: the condition holds, not yet for `forSeconds`; FIRING: it has held that long; RESOLVED: it stopped holding while FIRING; INACTIVE: never, or a PENDING that stopped',
});

@ObjectType({ simpleResolvers: true, description: 'An alert rule (ALERT_RULES) with its current state, cluster-wide when Redis is there' })
export class Alert {
  @Field(() => String) name!: string;
  @Field(() => String, { description: 'One of the documented metric names, e.g. analytics_p99_ms' }) metric!: string;
  @Field(() => String, { description: '>, >=, < or <=' }) op!: string;
  @Field(() => Float) threshold!: number;
  @Field(() => Int) forSeconds!: number;
  @Field(() => AlertState) state!: AlertState;
  @Field(() => Float, { nullable: true, description: 'Last evaluated value; null = no data' }) value!: number | null;
  @Field(() => DateTimeScalar, { nullable: true, description: 'When the current state began (null while INACTIVE since start)' })
  since!: Date | null;
  @Field(() => DateTimeScalar, { nullable: true }) lastFiredAt!: Date | null;
  @Field(() => DateTimeScalar, { nullable: true }) lastResolvedAt!: Date | null;
  @Field(() => String, { description: 'e.g. "analytics_p99_ms 312 ms > 200 for 1m"' }) summary!: string;
}
