import { Field, InputType } from 'type-graphql';
import { DateScalar } from '../scalars/index.js';

@InputType({ description: 'Inclusive UTC days; to >= from; at most 731 days' })
export class DateRange {
  @Field(() => DateScalar) from!: string;
  @Field(() => DateScalar) to!: string;
}
