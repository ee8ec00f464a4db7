import { createHash, randomBytes } from 'node:crypto';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';
import type { BusMessage, InvalidationBus } from '../src/cache/invalidation-bus.js';
import { bullPrefix } from '../src/jobs/job-backend.js';
import { createFastRedis, isCluster, masterNodes } from '../src/redis.js';
import { createLogger } from '../src/logger.js';
import { GenerateReportDocument, JobByIdDocument } from './generated/graphql.js';
import { createKey } from './helpers/api-keys.js';
import { lastDays } from './helpers/dates.js';
import { dataOf } from './helpers/graphql-client.js';
import { rawHttp } from './helpers/raw-http.js';
import { skipWithoutRedisCluster, startRedisCluster, type RedisCluster } from './helpers/redis-cluster.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';
import { waitFor } from './helpers/wait-for.js';
import { connect, hasTerminal, jobEvents, ofJob, queueEvents, typesOf } from './jobs-helpers.js';
import type { WsConnection } from './helpers/ws-client.js';

/**
 * The API on a real Redis Cluster (3 masters + 3 replicas, Debian's redis-server, created
 * with redis-cli --cluster create): two instances, A through `redis+cluster://…` and B
 * through REDIS_CLUSTER=true with a `redis://h:p,h:p` seed list. Jobs (BullMQ with
 * hash-tagged prefixes), rate limits, sharded pub/sub invalidation, persisted queries,
 * the metrics cluster view and the alert lease all work across them; the last test kills
 * the master of the invalidation channel's slot and checks that pub/sub comes back.
 * (The cache suite on a cluster and the kill-a-master-under-load test: cache-redis-cluster.test.ts.)
 */

describe('Redis Cluster configuration', () => {
  const problemsOf = (env: Record<string, string>): string[] => {
    try {
      loadConfig(env);
    } catch (error) {
      if (error instanceof ConfigError) return error.problems;
      throw error;
    }
    return [];
  };

  it('accepts redis+cluster:// seed lists, and REDIS_CLUSTER=true with a redis:// list (rewritten to redis+cluster://)', () => {
    const direct = loadConfig({ REDIS_URL: 'redis+cluster://10.0.0.1:7000,10.0.0.2:7001,redis-3' });
    expect(direct.redisCluster?.nodes).toEqual([
      { host: '10.0.0.1', port: 7000 },
      { host: '10.0.0.2', port: 7001 },
      { host: 'redis-3', port: 6379 },
    ]);
    expect(direct.REDIS_CLUSTER).toBe(true);
    const flagged = loadConfig({ REDIS_URL: 'rediss://:s3cret@h1:7000,h2:7000', REDIS_CLUSTER: 'true' });
    expect(flagged.REDIS_URL).toBe('rediss+cluster://:s3cret@h1:7000,h2:7000');
    expect(flagged.redisCluster?.nodes).toEqual([
      { host: 'h1', port: 7000 },
      { host: 'h2', port: 7000 },
    ]);
    const single = loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379/2' });
    expect(single.redisCluster).toBeNull();
    expect(single.REDIS_URL).toBe('redis://127.0.0.1:6379/2');
    expect(loadConfig({ REDIS_PREFIX: 'app{gp}:' }).REDIS_PREFIX).toBe('app{gp}:');
  });

  it('refuses a bad cluster URL with a ConfigError naming the variable (password hidden)', () => {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ REDIS_URL: 'redis+cluster://' }, /^REDIS_URL=.*at least one seed node/],
      [{ REDIS_URL: 'redis+cluster://h1:7000,h2:99999' }, /^REDIS_URL=.*seed node 2 "h2:99999".*port out of range/],
      [{ REDIS_URL: 'redis+cluster://h1:7000,,h2:7000' }, /^REDIS_URL=.*seed node 2 "" is not host:port/],
      [{ REDIS_URL: 'redis+cluster://h1:7000/3' }, /^REDIS_URL=.*only database 0, got "3"/],
      [{ REDIS_URL: 'redis+cluster://h1:7000?scaleReads=slave' }, /^REDIS_URL=.*no query options/],
      [{ REDIS_URL: 'redis+cluster://h1:7000,h1:7000' }, /^REDIS_URL=.*h1:7000 is listed twice/],
      [{ REDIS_URL: 'redis://h1:7000,h2:7000' }, /^REDIS_URL=.*lists several hosts: .*REDIS_CLUSTER=true/],
      [{ REDIS_URL: 'redis+cluster://h1:7000', REDIS_CLUSTER: 'false' }, /^REDIS_CLUSTER=.*is false but REDIS_URL is a redis\+cluster/],
      [{ REDIS_CLUSTER: 'true' }, /^REDIS_CLUSTER="true": is true but REDIS_URL is unset/],
      [{ REDIS_URL: 'redis+cluster://:pw@h1:7000/9' }, /^REDIS_URL="redis\+cluster:\/\/:\(hidden\)@h1:7000\/9"/],
      [{ REDIS_URL: 'http://h1:7000' }, /^REDIS_URL=.*expected a redis:\/\/, rediss:\/\/ or redis\+cluster:\/\/ URL/],
      [{ REDIS_PREFIX: 'a{b}{c}:' }, /^REDIS_PREFIX=.*at most one non-empty \{hash tag\}/],
      [{ REDIS_PREFIX: 'a{}:' }, /^REDIS_PREFIX=/],
    ];
    for (const [env, expected] of cases) {
      const problems = problemsOf(env);
      expect(problems, JSON.stringify(env)).toHaveLength(1);
      expect(problems[0], JSON.stringify(env)).toMatch(expected);
      expect(problems[0]).not.toContain('pw@');
    }
  });

  it("BullMQ's prefix: unchanged on one server, one hash tag per queue on a cluster (none added when REDIS_PREFIX has one)", () => {
    expect(bullPrefix({ REDIS_PREFIX: 'gp:', REDIS_URL: 'redis://h:1' }, 'reports')).toBe('gp:bull');
    expect(bullPrefix({ REDIS_PREFIX: 'gp:', REDIS_URL: undefined }, 'reports')).toBe('gp:bull');
    expect(bullPrefix({ REDIS_PREFIX: 'gp:', REDIS_URL: 'redis+cluster://h:1' }, 'reports')).toBe('{gp:bull:reports}');
    expect(bullPrefix({ REDIS_PREFIX: 'gp{x}:', REDIS_URL: 'redis+cluster://h:1' }, 'reports')).toBe('gp{x}:bull');
  });
});

const noCluster = skipWithoutRedisCluster('redis-cluster');
const logger = createLogger('silent');
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

let cluster: RedisCluster;
let probe: Cluster;
let a: TestServer;
let b: TestServer;
let ws: WsConnection | undefined;
let prefix: string;
let viewerKey: string;

/** The invalidation bus of an instance (private to its tiered cache). */
const busOf = (server: TestServer) => (server.app.services.cache as unknown as { bus: InvalidationBus }).bus;

/** Every key matching a pattern, over every master. */
async function keysOnMasters(pattern: string): Promise<string[]> {
  const found: string[] = [];
  for (const node of masterNodes(probe)) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      found.push(...keys);
    } while (cursor !== '0');
  }
  return found;
}

describe.skipIf(noCluster)('the API on a Redis Cluster (3 masters + 3 replicas, two instances)', () => {
  beforeAll(async () => {
    cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 1 });
    prefix = `rcl-${randomBytes(3).toString('hex')}:`;
    const common = {
      REDIS_PREFIX: prefix,
      RATE_LIMITS: 'VIEWER=1,INGEST=1000',
      JOB_REFRESH_CRON: 'off',
      JOB_CLEANUP_CRON: 'off',
      JOB_STALLED_INTERVAL_MS: '500',
      JOB_LOCK_DURATION_MS: '1500',
      JOB_SHUTDOWN_GRACE_MS: '3000',
    };
    a = await startTestServer({ env: { ...common, REDIS_URL: cluster.url, WORKERS: 'inline' } });
    b = await startTestServer({ env: { ...common, REDIS_URL: cluster.seedList, REDIS_CLUSTER: 'true' }, databaseUrl: a.databaseUrl });
    ws = connect(b);
    viewerKey = await createKey(a, 'cluster viewer', 'VIEWER');
    // The test's own reads: generous timeouts (the app's connections keep their fail-fast ones).
    probe = createFastRedis(cluster.url, logger, 'redis-cluster-test', { commandTimeout: 10_000, socketTimeout: 10_000 }) as Cluster;
    await waitFor(() => probe.status === 'ready', { timeoutMs: 10_000, what: 'the probe connection ready' });
  });
  afterAll(async () => {
    await ws?.client.dispose();
    await Promise.all([a?.stop(), b?.stop()]);
    probe?.disconnect();
    await cluster?.stop();
  });

  it('every instance talks to the cluster through ioredis Cluster connections', () => {
    for (const server of [a, b]) {
      expect(server.app.services.config.redisCluster?.nodes).toHaveLength(6);
      expect(server.app.services.config.REDIS_URL).toBe(cluster.url);
      const l2 = server.app.services.cache.l2 as unknown as { redis: unknown } | null;
      expect(l2?.redis).toBeInstanceOf(Cluster);
      expect(busOf(server).listening).toBe(true);
    }
    expect(isCluster(probe)).toBe(true);
  });

  it("a generateReport asked on B runs on A (BullMQ on the cluster), and B's jobEvents subscriber sees it to COMPLETED", async () => {
    const events = await queueEvents(b, ws!.client, 'reports');
    const job = dataOf(await b.request(GenerateReportDocument, { variables: { kind: 'DAILY_SALES', range: lastDays(7) } })).generateReport;
    const seen = ofJob(await events.until(hasTerminal(job.id), 30_000), job.id);
    events.stop();
    expect(typesOf(seen)[0]).toBe('WAITING');
    expect(typesOf(seen)).toContain('ACTIVE');
    expect(typesOf(seen).at(-1)).toBe('COMPLETED');
    expect(dataOf(await a.request(JobByIdDocument, { variables: { id: job.id } })).job?.state).toBe('COMPLETED');
    // The queue's keys all carry its hash tag, so BullMQ's multi-key scripts stay on one slot.
    const tag = bullPrefix({ REDIS_PREFIX: prefix, REDIS_URL: cluster.url }, 'reports');
    expect(tag).toBe(`{${prefix}bull:reports}`);
    const keys = await keysOnMasters(`${tag}*`);
    expect(keys.length).toBeGreaterThan(2);
    const slots = new Set(await Promise.all(keys.map((key) => cluster.keySlot(key))));
    expect(slots.size).toBe(1);
    // Nothing under the single-server prefix.
    expect(await keysOnMasters(`${prefix}bull:*`)).toEqual([]);
  });

  it('jobEvents of one job, subscribed on B before the job starts, arrive in order', async () => {
    const job = await a.app.services.jobs!.queues.enqueue('probe', { sleepMs: 200 }, { dedupe: false });
    const events = jobEvents(ws!.client, { jobId: job.id });
    const seen = await events.until(hasTerminal(job.id), 30_000);
    events.stop();
    expect(typesOf(seen).at(-1)).toBe('COMPLETED');
  });

  it('a rate limit counts requests on both instances (one bucket in the cluster)', async () => {
    // VIEWER=1: one request per second, burst of one. A takes the token; B, right after, finds it taken.
    const query = '{ categories { id } }';
    let onA = await a.request(query, { key: viewerKey });
    // A previous second's token may still be there: drain it on A first.
    for (let i = 0; i < 3 && onA.status === 200; i++) onA = await a.request(query, { key: viewerKey });
    expect(onA.status).toBe(429);
    expect(onA.body.errors?.[0].extensions?.retryAfterMs).toBeGreaterThan(500);
    const onB = await b.request(query, { key: viewerKey });
    expect(onB.status).toBe(429);
    expect(onB.body.errors?.[0].extensions?.code).toBe('RATE_LIMITED');
    // The bucket is one hash on one slot.
    const keyId = (
      await a.app.services.database.db.selectFrom('api_keys').select('id').where('name', '=', 'cluster viewer').executeTakeFirstOrThrow()
    ).id;
    expect(await probe.hget(`${prefix}rl:${keyId}`, 'at')).not.toBeNull();
  });

  it('an invalidation A publishes reaches B over sharded pub/sub (SPUBLISH to one shard)', async () => {
    const received: BusMessage[] = [];
    busOf(b).onMessage((message) => received.push(message));
    const tag = `cluster-test:${randomBytes(3).toString('hex')}`;
    expect(await busOf(a).send({ kind: 'tags', tags: [tag] })).toBe(true);
    await waitFor(() => received.some((m) => m.kind === 'tags' && m.tags.includes(tag)), { timeoutMs: 5_000, what: 'B receiving the tag' });
    // A sharded channel: the shard's master counts B's and A's subscribers; PUBSUB SHARDNUMSUB on another master says 0.
    const channel = `${prefix}bus`;
    const slot = await cluster.keySlot(channel);
    const owner = (await cluster.masters()).find((m) => m.slots.some(([from, to]) => slot >= from && slot <= to))!;
    for (const node of masterNodes(probe)) {
      const [, count] = (await node.call('PUBSUB', 'SHARDNUMSUB', channel)) as [string, number];
      expect(count, `master ${node.options.port}`).toBe(node.options.port === owner.port ? 2 : 0);
    }
  });

  it('a query registered on A (automatic persisted query) runs by its hash alone on B', async () => {
    const query = `{ stores(first: 2) { totalCount } } # cluster ${prefix}`;
    const hash = sha256(query);
    const body = (withQuery: boolean) =>
      JSON.stringify({ ...(withQuery ? { query } : {}), extensions: { persistedQuery: { version: 1, sha256Hash: hash } } });
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${a.adminKey}` };
    const registered = await rawHttp(a.url, { method: 'POST', headers, body: body(true) });
    expect(registered.status, registered.text).toBe(200);
    const byHash = await rawHttp(b.url, { method: 'POST', headers, body: body(false) });
    expect(byHash.status, byHash.text).toBe(200);
    expect(byHash.json().data).toEqual(registered.json().data);
  });

  it('metrics(scope: CLUSTER) on A lists both instances from their snapshots in the cluster', async () => {
    await a.request('{ categories { id } }');
    await b.request('{ categories { name } }');
    await a.app.services.metricsHistory!.sampleNow();
    await b.app.services.metricsHistory!.sampleNow();
    const metrics = dataOf(await a.request('query { metrics(scope: CLUSTER) { scope clusterDegraded instances { id self } } }'))
      .metrics as { scope: string; clusterDegraded: boolean; instances: Array<{ id: string; self: boolean }> };
    expect(metrics.scope).toBe('CLUSTER');
    expect(metrics.clusterDegraded).toBe(false);
    expect(metrics.instances.map((i) => i.self)).toEqual([true, false]);
    expect(metrics.instances[1]!.id).toBe(b.app.services.metricsHistory!.identity.id);
  });

  it('the alert lease: exactly one instance evaluates, the other follows', async () => {
    const modes = () => [a.app.services.alerts!.mode, b.app.services.alerts!.mode].sort();
    await waitFor(() => modes().join() === 'follower,holder', {
      timeoutMs: 15_000,
      what: () => `one holder, one follower (${modes().join()})`,
    });
    const holder = a.app.services.alerts!.mode === 'holder' ? a : b;
    const lease = await probe.get(`${prefix}{alerts}:lease`);
    expect(lease).toBeTruthy();
    expect(holder.app.services.alerts!.evaluating).toBe(true);
  });

  it("the master of the bus channel's slot killed: its replica takes over, pub/sub and jobs work again", async () => {
    const killed = await cluster.killMaster({ key: `${prefix}bus` });
    const failover = await killed.failover;
    expect(failover.port).not.toBe(killed.port);
    // B's shard subscriber moves to the promoted replica; the bus says so once its probe comes back.
    await waitFor(() => busOf(b).listening && busOf(a).listening, { timeoutMs: 20_000, what: 'both buses listening again' });
    const received: BusMessage[] = [];
    busOf(b).onMessage((message) => received.push(message));
    const tag = `after-failover:${randomBytes(3).toString('hex')}`;
    await waitFor(async () => (await busOf(a).send({ kind: 'tags', tags: [tag] })) && received.length > 0, {
      timeoutMs: 10_000,
      intervalMs: 200,
      what: 'a message from A reaching B after the failover',
    });
    expect(received.some((m) => m.kind === 'tags' && m.tags.includes(tag))).toBe(true);
    // Jobs still run (BullMQ's connections follow the new slot map).
    const job = await a.app.services.jobs!.queues.enqueue('probe', { sleepMs: 50 }, { dedupe: false });
    let state: string | undefined = 'not read';
    await waitFor(
      async () => {
        state = await (await a.app.services.jobs!.queues.find(job.id).catch(() => null))?.getState().catch((e: Error) => e.message);
        return state === 'completed';
      },
      { timeoutMs: 60_000, intervalMs: 250, what: () => `job ${job.id} completing after the failover (state ${state})` },
    );
  });
});
