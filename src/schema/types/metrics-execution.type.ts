import { Field, Int, ObjectType } from 'type-graphql';

@ObjectType({ simpleResolvers: true, description: 'How operations were executed since start (EXECUTOR)' })
export class ExecutionMetrics {
  @Field(() => String, { description: '`jit` (graphql-jit, graphql-js as fallback) or `graphql-js`' }) executor!: string;
  @Field(() => Int, { description: 'Operations (document × operation name) compiled by graphql-jit' }) compiledOperations!: number;
  @Field(() => Int, { description: 'Operations graphql-jit could not compile (they run on graphql-js)' }) fallbackOperations!: number;
  @Field(() => Int, { description: 'Executions that ran on graphql-js because of a fallback' }) fallbackExecutions!: number;
}
