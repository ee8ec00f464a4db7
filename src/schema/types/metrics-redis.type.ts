import { Field, Float, Int, ObjectType } from 'type-graphql';

@ObjectType({ simpleResolvers: true, description: "The cache's Redis server, from INFO at the time of the query" })
export class RedisServerStats {
  @Field(() => String, { description: 'redis_version' }) version!: string;
  @Field(() => Float, { description: 'used_memory' }) usedMemoryBytes!: number;
  @Field(() => Float, { description: 'maxmemory; 0 means no limit' }) maxMemoryBytes!: number;
  @Field(() => Int, { description: 'Keys of every database on the server summed (db0, db1…), not only this REDIS_PREFIX' })
  keys!: number;
  @Field(() => Int) connectedClients!: number;
  @Field(() => Float, { description: 'Keys evicted by maxmemory since the server started' }) evictedKeys!: number;
  @Field(() => Float, { description: 'Reads of existing keys since the server started (every client, not only the cache)' })
  keyspaceHits!: number;
  @Field(() => Float) keyspaceMisses!: number;
  @Field(() => Float, { nullable: true, description: 'keyspaceHits / (keyspaceHits + keyspaceMisses), 0..1; null before any read' })
  hitRatio!: number | null;
}
