import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { Logger } from './logger.js';

/**
 * How long one command on a fail-fast connection may wait for Redis (ms). It is also the
 * bound of one request's whole wait on Redis: the first timeout drops the connection and
 * opens the cache's breaker, so nothing after it waits again (src/cache/redis-store.ts).
 */
export const REDIS_COMMAND_TIMEOUT_MS = 250;
/** The longest pause between two reconnection attempts (ms): Redis is in use again at most this long after it is back. */
export const REDIS_RECONNECT_MAX_DELAY_MS = 1_000;
/** Cluster mode: the longest wait for a node's CLUSTER SLOTS answer when the slot map is refreshed (ms). */
export const REDIS_SLOTS_REFRESH_TIMEOUT_MS = 1_000;
/** Cluster mode: how often the slot map is refreshed even without a MOVED (ms), so a failover is seen within about this. */
export const REDIS_SLOTS_REFRESH_INTERVAL_MS = 2_000;

/** One connection to Redis: a single server, or a Redis Cluster (REDIS_URL `redis+cluster://…` or REDIS_CLUSTER=true). */
export type RedisClient = Redis | Cluster;

export interface RedisNode {
  host: string;
  port: number;
}

/** A parsed cluster REDIS_URL: its seed nodes and what every node connection needs. */
export interface RedisClusterUrl {
  nodes: RedisNode[];
  username?: string;
  password?: string;
  tls: boolean;
}

const CLUSTER_URL = /^(rediss?)\+cluster:\/\/(?:([^@/]*)@)?([^/?#]*)(\/[^?#]*)?(\?[^#]*)?$/;

/**
 * Parses `redis+cluster://[user:password@]host:port[,host:port…][/]` (`rediss+cluster://`
 * for TLS) into seed nodes; throws an Error saying what is wrong. A Redis Cluster has
 * only database 0, and no option rides in the query string (none is accepted, so a typo
 * is not silently ignored).
 */
export function parseClusterUrl(url: string): RedisClusterUrl {
  const match = CLUSTER_URL.exec(url);
  if (!match) throw new Error('expected redis+cluster://host:port[,host:port…] (rediss+cluster:// for TLS)');
  const [, scheme, auth, hostList, path, query] = match;
  if (path && path !== '/' && path !== '/0') throw new Error(`a Redis Cluster has only database 0, got "${path.slice(1)}"`);
  if (query && query !== '?') throw new Error(`no query options are accepted in a cluster URL, got "${query}"`);
  if (!hostList!.trim()) throw new Error('expected at least one seed node host:port');
  const nodes = hostList!.split(',').map((part, index) => parseNode(part.trim(), index));
  const seen = new Set<string>();
  for (const node of nodes) {
    const key = `${node.host}:${node.port}`;
    if (seen.has(key)) throw new Error(`seed node ${key} is listed twice`);
    seen.add(key);
  }
  let username: string | undefined;
  let password: string | undefined;
  if (auth) {
    const colon = auth.indexOf(':');
    username = decodeURIComponent(colon < 0 ? auth : auth.slice(0, colon)) || undefined;
    password = colon < 0 ? undefined : decodeURIComponent(auth.slice(colon + 1)) || undefined;
    // redis://:password@host (no user) is the usual form; a lone user is the default user's password in ioredis' URL rules.
    if (colon < 0) {
      password = username;
      username = undefined;
    }
  }
  return { nodes, username, password, tls: scheme === 'rediss' };
}

function parseNode(text: string, index: number): RedisNode {
  const match = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+)(?::(\d{1,5}))?$/.exec(text);
  if (!match) throw new Error(`seed node ${index + 1} "${text}" is not host:port`);
  const host = match[1]!.startsWith('[') ? match[1]!.slice(1, -1) : match[1]!;
  const port = match[2] === undefined ? 6379 : Number(match[2]);
  if (port < 1 || port > 65535) throw new Error(`seed node ${index + 1} "${text}": port out of range`);
  return { host, port };
}

/** True for `redis+cluster://` and `rediss+cluster://` URLs. */
export function isClusterUrl(url: string): boolean {
  return /^rediss?\+cluster:\/\//.test(url);
}

/**
 * The cluster URL of a `redis://h:p[,h:p…]` list given with REDIS_CLUSTER=true: the same
 * nodes, credentials and TLS, in the form createFastRedis (and BullMQ's backend) read.
 */
export function toClusterUrl(url: string): string {
  if (isClusterUrl(url)) return url;
  return url.replace(/^(rediss?):\/\//, '$1+cluster://');
}

/** Options that belong to the cluster object in cluster mode (ioredis takes them there, not per node). */
const CLUSTER_LEVEL = ['enableOfflineQueue', 'enableAutoPipelining', 'lazyConnect', 'enableReadyCheck'] as const;

/**
 * The ioredis Cluster for a cluster URL with the fail-fast rules of createFastRedis: no
 * offline queue on the cluster (a command for a node that is not connected fails at once),
 * the same command and socket timeouts on every node's connection, a bounded slot refresh,
 * and no retry on a lost connection or CLUSTERDOWN (`retryDelayOnFailover: 0`,
 * `retryDelayOnClusterDown: 0`): during a failover commands fail fast and the cache's
 * breaker falls back to L1, until the slot map (refreshed every
 * REDIS_SLOTS_REFRESH_INTERVAL_MS, and on every MOVED) names the promoted replica.
 * `options` are per-node RedisOptions, except the cluster-level ones (CLUSTER_LEVEL).
 */
export function createRedisCluster(
  url: string,
  name: string,
  options: RedisOptions = {},
  clusterOptions: ClusterOptions = {},
  defaults: RedisOptions = {},
): Cluster {
  const parsed = parseClusterUrl(url);
  const merged: Record<string, unknown> = { ...defaults, ...options };
  const clusterLevel: Record<string, unknown> = {};
  for (const key of CLUSTER_LEVEL) {
    if (key in merged) clusterLevel[key] = merged[key];
    delete merged[key];
  }
  // Per node: never reconnect on its own (ioredis' cluster rule: the slot map decides), so drop single-server reconnection.
  delete merged.retryStrategy;
  const redisOptions = {
    ...merged,
    ...(parsed.username ? { username: parsed.username } : {}),
    ...(parsed.password ? { password: parsed.password } : {}),
    ...(parsed.tls ? { tls: {} } : {}),
    connectionName: `graphpulse:${name}`,
  } as ClusterOptions['redisOptions'];
  return new Cluster(parsed.nodes, {
    enableReadyCheck: true,
    enableOfflineQueue: false,
    enableAutoPipelining: true,
    slotsRefreshTimeout: REDIS_SLOTS_REFRESH_TIMEOUT_MS,
    slotsRefreshInterval: REDIS_SLOTS_REFRESH_INTERVAL_MS,
    retryDelayOnFailover: 0,
    retryDelayOnClusterDown: 0,
    retryDelayOnTryAgain: 100,
    maxRedirections: 16,
    // The whole cluster unreachable: try again like a single server, 100 ms … 1 s apart.
    clusterRetryStrategy: (attempt) => Math.min(attempt * 100, REDIS_RECONNECT_MAX_DELAY_MS),
    ...clusterLevel,
    ...clusterOptions,
    redisOptions,
  });
}

const FAST_DEFAULTS: RedisOptions = {
  enableOfflineQueue: false,
  enableAutoPipelining: true,
  commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
  // A hung Redis (process stopped, host gone without a reset) keeps the socket open and
  // answers nothing: every command on the connection would wait out its own timeout, one
  // after the other, including those of users that do not see the cache's breaker (rate
  // limits, persisted queries). With no byte back within one command timeout the socket
  // is destroyed, which fails every pending command at once and takes the connection out
  // of 'ready' (commands are then refused immediately), until a reconnection's handshake
  // is answered.
  socketTimeout: REDIS_COMMAND_TIMEOUT_MS,
  connectTimeout: 1_000,
  maxRetriesPerRequest: 0,
  // Keep trying to come back, without flooding: 100 ms, 200 ms, … never more than 1 s
  // apart, so L2 is in use again about a second after Redis is back.
  retryStrategy: (attempt) => Math.min(attempt * 100, REDIS_RECONNECT_MAX_DELAY_MS),
  lazyConnect: false,
};

/**
 * Connections for the cache, rate limits and pub/sub: fail fast, never queue. A request
 * must never wait on a dead Redis longer than `commandTimeout` (a cache rule: Redis errors are misses).
 * BullMQ keeps its own connections with its own settings.
 *
 * `url` is a single server (`redis://`, `rediss://`) or a cluster (`redis+cluster://h:p,h:p`,
 * which config.REDIS_URL always is in cluster mode, REDIS_CLUSTER=true included): then an
 * ioredis Cluster (createRedisCluster), `options` applying to every node's connection.
 */
export function createFastRedis(
  url: string,
  logger: Logger,
  name: string,
  options: RedisOptions = {},
  /** Cluster mode only: options of the Cluster object itself (e.g. shardedSubscribers). */
  clusterOptions: ClusterOptions = {},
): RedisClient {
  const redis: RedisClient = isClusterUrl(url)
    ? createRedisCluster(url, name, options, clusterOptions, FAST_DEFAULTS)
    : new Redis(url, { connectionName: `graphpulse:${name}`, ...FAST_DEFAULTS, ...options });
  let lastErrorLog = 0;
  const logError = (error: Error, node?: string) => {
    // ioredis emits an error per failed reconnect; one line per 10 s is enough to see it.
    if (Date.now() - lastErrorLog > 10_000) {
      lastErrorLog = Date.now();
      logger.warn({ err: error, connection: name, ...(node ? { node } : {}) }, 'Redis connection error');
    }
  };
  redis.on('error', (error: Error) => logError(error));
  if (redis instanceof Cluster) {
    redis.on('node error', (error: Error, node: string) => logError(error, node));
  }
  return redis;
}

/** Whether a client is a Redis Cluster (narrowing helper for code that must act per node, e.g. SCAN). */
export function isCluster(redis: RedisClient): redis is Cluster {
  return redis instanceof Cluster;
}

/**
 * The masters' connections of a cluster, or the one server: what a keyspace-wide command
 * (SCAN, FLUSHDB, INFO keyspace) must run on, once per node.
 */
export function masterNodes(redis: RedisClient): Redis[] {
  return isCluster(redis) ? redis.nodes('master') : [redis];
}

/**
 * A pub/sub subscriber connection: queues its (S)SUBSCRIBE until connected, no command
 * timeout (it waits for messages), re-subscribes after reconnects. On a cluster it uses
 * sharded pub/sub (Redis ≥ 7): ioredis keeps one subscriber connection to the master of
 * each subscribed channel's slot and moves it after a failover or a slot migration.
 */
export function createRedisSubscriber(url: string, logger: Logger, name: string): RedisClient {
  return createFastRedis(
    url,
    logger,
    name,
    { enableOfflineQueue: true, enableAutoPipelining: false, commandTimeout: undefined },
    { shardedSubscribers: true },
  );
}

/**
 * PUBLISH, or SPUBLISH on a cluster: a sharded message goes to the nodes of its channel's
 * shard only, instead of every node of the cluster through the cluster bus (classic PUBLISH).
 */
export function publishMessage(redis: RedisClient, channel: string, message: string): Promise<unknown> {
  return isCluster(redis) ? redis.spublish(channel, message) : redis.publish(channel, message);
}

/**
 * SUBSCRIBE, or SSUBSCRIBE on a cluster (the subscriber of createRedisSubscriber). Until
 * the cluster's first slot map, ioredis has no shard subscriber for the channel's slot and
 * refuses: tried again every 250 ms, for up to `attempts` tries (the last error is thrown).
 */
export async function subscribeChannel(subscriber: RedisClient, channel: string, attempts = 40): Promise<unknown> {
  if (!isCluster(subscriber)) return subscriber.subscribe(channel);
  for (let attempt = 1; ; attempt++) {
    try {
      return await subscriber.ssubscribe(channel);
    } catch (error) {
      if (attempt >= attempts || subscriber.status === 'end') throw error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

/** Listens to the messages of subscribeChannel: 'message', or 'smessage' on a cluster. */
export function onChannelMessage(subscriber: RedisClient, listener: (channel: string, message: string) => void): void {
  subscriber.on(isCluster(subscriber) ? 'smessage' : 'message', listener);
}
