import { Field, ID, ObjectType } from 'type-graphql';
import { Role } from '../enums.js';

@ObjectType({ description: 'The key itself is shown here once and never again (only its hash is stored)' })
export class ApiKeyCreated {
  @Field(() => ID) id!: number;
  @Field(() => String) key!: string;
  @Field(() => Role) role!: Role;
}
