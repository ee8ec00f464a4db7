import { Field, Int, ObjectType } from 'type-graphql';

@ObjectType({ simpleResolvers: true })
export class IngestRejection {
  @Field(() => Int, { description: 'Position of the event in the batch' }) index!: number;
  @Field(() => String) code!: string;
  @Field(() => String) message!: string;
}

@ObjectType({ simpleResolvers: true })
export class IngestResult {
  @Field(() => Int, { description: 'Events stored by this call' }) accepted!: number;
  @Field(() => Int, { description: 'Valid events already stored (same id), stored nothing' }) duplicates!: number;
  @Field(() => [IngestRejection]) rejected!: IngestRejection[];
}
