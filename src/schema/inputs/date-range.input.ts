import { Field, InputType } from 'type-graphql';
import { DateScalar } from '../scalars/index.js';
import { MAX_RANGE_DAYS } from '../../days.js';

@InputType({ description: `Inclusive UTC days; to >= from; at most ${MAX_RANGE_DAYS} days` })
export class DateRange {
  @Field(() => DateScalar) from!: string;
  @Field(() => DateScalar) to!: string;
}
