import { Field, Float, Int, ObjectType } from 'type-graphql';

@ObjectType({ simpleResolvers: true, description: 'A read replica of DATABASE_READ_URLS as this instance sees it (probed every 200 ms)' })
export class ReplicaMetrics {
  @Field(() => String, { description: 'The replica URL, password masked' }) url!: string;
  @Field(() => Boolean, { description: 'The last probe answered and no connection failed since; false: reads go elsewhere' })
  healthy!: boolean;
  @Field(() => Float, {
    nullable: true,
    description: 'WAL bytes the primary had written (last 1 s sample) that the replica had not replayed',
  })
  lagBytes!: number | null;
  @Field(() => Float, {
    nullable: true,
    description: 'now() − pg_last_xact_replay_timestamp() on the replica; 0 when it has replayed everything it received',
  })
  lagSeconds!: number | null;
  @Field(() => String, { nullable: true, description: 'pg_last_wal_replay_lsn() at the last probe' }) replayLsn!: string | null;
  @Field(() => Int, { description: 'Statements this replica answered for requests since start' }) statements!: number;
  @Field(() => Int, { description: 'Statements sent to it whose connection failed, answered by the primary instead' }) fallbacks!: number;
}
