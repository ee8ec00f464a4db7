import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from '../../src/db/embedded-postgres.js';
import { waitFor } from './wait-for.js';

/**
 * A real Redis Cluster owned by one test file: `masters` masters with `replicasPerMaster`
 * replicas each, from Debian's redis-server on free ports (client and cluster-bus ports
 * both picked free: `cluster-port`, Redis ≥ 7), created with
 * `redis-cli --cluster create … --cluster-yes`, ready when every node says
 * cluster_state:ok and every replica's link to its master is up.
 *
 * `cluster-node-timeout` is short (2 s by default) so a killed master's replica is
 * promoted within a few seconds, as a test can afford.
 */
export interface RedisClusterNode {
  readonly port: number;
  /** The running child's pid; undefined once killed. */
  readonly pid: number | undefined;
  /** The role redis-cli gave it at creation (a failover changes the live role: see roles()). */
  readonly initialRole: 'master' | 'replica';
}

export interface KilledMaster {
  readonly port: number;
  /** Slot ranges it served. */
  readonly slots: ReadonlyArray<readonly [number, number]>;
  /** Resolves once a replica serves those slots and every live node says cluster_state:ok; with the new master's port. */
  readonly failover: Promise<{ port: number; ms: number }>;
}

/** Which master to kill: `{ slot }`, `{ key }` (the master of the key's slot), or an index into masters() (sorted by first slot). */
export type MasterTarget = number | { slot: number } | { key: string } | { index: number };

export interface RedisCluster {
  /** `redis+cluster://127.0.0.1:p1,127.0.0.1:p2,…` (every node: any of them is a seed). */
  readonly url: string;
  /** The same nodes as `redis://h:p,h:p` (for REDIS_CLUSTER=true). */
  readonly seedList: string;
  readonly nodes: readonly RedisClusterNode[];
  /** Live masters now, sorted by their first slot: port and slot ranges. */
  masters(): Promise<Array<{ port: number; slots: Array<[number, number]> }>>;
  /** The slot of a key (CLUSTER KEYSLOT). */
  keySlot(key: string): Promise<number>;
  /** SIGKILLs the master serving the target; `failover` tells when its replica has taken over. */
  killMaster(target: MasterTarget): Promise<KilledMaster>;
  /** Starts a killed node again on its port and config file: it rejoins the cluster (as a replica after a failover). */
  restartNode(port: number): Promise<void>;
  /** Waits until every live node says cluster_state:ok and every slot has a live master. */
  waitHealthy(timeoutMs?: number): Promise<void>;
  /** SIGTERMs every node (SIGKILL after 5 s) and removes their directory. */
  stop(): Promise<void>;
}

export interface RedisClusterOptions {
  masters?: number;
  replicasPerMaster?: number;
  /** cluster-node-timeout, ms (default 2000). */
  nodeTimeoutMs?: number;
}

const SLOTS = 16384;

function redisMajor(binary: string): number {
  const result = spawnSync(binary, ['--version'], { encoding: 'utf8' });
  if (result.status !== 0) return 0;
  const match = /v=(\d+)\.|redis-cli (\d+)\./.exec(result.stdout);
  return match ? Number(match[1] ?? match[2]) : 0;
}

/** redis-server and redis-cli 7 or later (sharded pub/sub, cluster-port) are installed. */
export function redisClusterAvailable(): boolean {
  return redisMajor('redis-server') >= 7 && redisMajor('redis-cli') >= 7;
}

/** Whether a Redis Cluster suite must skip: never under CI=true (the run fails instead), otherwise with the install line. */
export function skipWithoutRedisCluster(suite: string): boolean {
  if (redisClusterAvailable()) return false;
  if (process.env.CI === 'true') throw new Error(`CI=true but redis-server/redis-cli ≥ 7 are not installed: ${suite} cannot run`);
  console.warn(`${suite}: skipped, no redis-server/redis-cli ≥ 7. Install them (Debian 12: apt-get install -y redis-server redis-tools).`);
  return true;
}

/** One command on one node over a short-lived connection (nodes die in these tests: nothing is kept open). */
async function ask(port: number, ...args: string[]): Promise<unknown> {
  const redis = new Redis({
    host: '127.0.0.1',
    port,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 1_000,
  });
  redis.on('error', () => {});
  try {
    await redis.connect();
    return await redis.call(args[0]!, ...args.slice(1));
  } finally {
    redis.disconnect();
  }
}

async function askOr<T>(port: number, fallback: T, ...args: string[]): Promise<unknown> {
  try {
    return await ask(port, ...args);
  } catch {
    return fallback;
  }
}

function spawnNode(port: number, busPort: number, dir: string, nodeTimeoutMs: number): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--cluster-enabled',
      'yes',
      '--cluster-port',
      String(busPort),
      '--cluster-config-file',
      `nodes-${port}.conf`,
      '--cluster-node-timeout',
      String(nodeTimeoutMs),
      '--dir',
      dir,
      '--appendonly',
      'no',
      '--save',
      '',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return new Promise<ChildProcess>((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`redis-server (cluster) on port ${port} did not become ready within 10 s: ${output.slice(-500)}`));
    }, 10_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        // Nothing reads the pipes from here on: drop what the server writes so it never blocks on a full pipe.
        child.stdout?.removeAllListeners('data');
        child.stdout?.resume();
        child.stderr?.resume();
        resolve(child);
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server (cluster) on port ${port} exited with code ${code}: ${output.slice(-500)}`));
    });
  });
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
  });
}

async function terminate(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  child.kill('SIGCONT');
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited(child);
  clearTimeout(timer);
}

/** CLUSTER SLOTS of one node → live masters (port, ranges), sorted by first slot. */
function mastersFromSlots(reply: unknown): Array<{ port: number; slots: Array<[number, number]> }> {
  const byPort = new Map<number, Array<[number, number]>>();
  for (const entry of reply as Array<[number, number, [string, number, ...unknown[]], ...unknown[]]>) {
    const [from, to, master] = entry;
    const port = Number(master[1]);
    byPort.set(port, [...(byPort.get(port) ?? []), [Number(from), Number(to)]]);
  }
  return [...byPort.entries()]
    .map(([port, slots]) => ({ port, slots: slots.sort((a, b) => a[0] - b[0]) }))
    .sort((a, b) => a.slots[0]![0] - b.slots[0]![0]);
}

export async function startRedisCluster(options: RedisClusterOptions = {}): Promise<RedisCluster> {
  const masterCount = options.masters ?? 3;
  const replicas = options.replicasPerMaster ?? 1;
  const nodeTimeoutMs = options.nodeTimeoutMs ?? 2_000;
  if (masterCount < 3) throw new Error('redis-cli --cluster create needs at least 3 masters');
  const total = masterCount * (1 + replicas);
  const dir = mkdtempSync(join(tmpdir(), 'gp-redis-cluster-'));
  const ports: number[] = [];
  const busPorts = new Map<number, number>();
  const used = new Set<number>();
  while (ports.length < total) {
    const port = await freePort();
    const bus = await freePort();
    if (port === bus || used.has(port) || used.has(bus)) continue;
    used.add(port).add(bus);
    ports.push(port);
    busPorts.set(port, bus);
  }
  const children = new Map<number, ChildProcess>();
  // A crashed test run must not leave the nodes behind.
  const onExit = () => {
    for (const child of children.values()) child.kill('SIGKILL');
  };
  process.once('exit', onExit);
  const stop = async () => {
    const running = [...children.values()];
    children.clear();
    await Promise.all(running.map((child) => terminate(child, 'SIGTERM')));
    process.removeListener('exit', onExit);
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    const started = await Promise.allSettled(ports.map((port) => spawnNode(port, busPorts.get(port)!, dir, nodeTimeoutMs)));
    started.forEach((result, index) => result.status === 'fulfilled' && children.set(ports[index]!, result.value));
    const failed = started.find((result) => result.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;

    const create = spawnSync(
      'redis-cli',
      ['--cluster', 'create', ...ports.map((port) => `127.0.0.1:${port}`), '--cluster-replicas', String(replicas), '--cluster-yes'],
      { encoding: 'utf8', timeout: 60_000 },
    );
    if (create.status !== 0 || !create.stdout.includes('All 16384 slots covered')) {
      throw new Error(`redis-cli --cluster create failed (status ${create.status}): ${(create.stdout + create.stderr).slice(-1500)}`);
    }
  } catch (error) {
    await stop();
    throw error;
  }

  const live = () => [...children.keys()];

  const masters = async () => {
    for (const port of live()) {
      const reply = await askOr(port, null, 'CLUSTER', 'SLOTS');
      if (Array.isArray(reply)) return mastersFromSlots(reply);
    }
    throw new Error('no live cluster node answered CLUSTER SLOTS');
  };

  /** Every live node: cluster_state:ok, every slot served by a live master, every live replica's link up. */
  const healthy = async (): Promise<string | true> => {
    for (const port of live()) {
      const info = String(await askOr(port, '', 'CLUSTER', 'INFO'));
      if (!info.includes('cluster_state:ok')) return `node ${port}: cluster_state not ok`;
      const reply = await askOr(port, null, 'CLUSTER', 'SLOTS');
      if (!Array.isArray(reply)) return `node ${port}: no CLUSTER SLOTS`;
      const served = mastersFromSlots(reply);
      const covered = served
        .filter((m) => children.has(m.port))
        .reduce((sum, m) => sum + m.slots.reduce((s, [a, b]) => s + b - a + 1, 0), 0);
      if (covered !== SLOTS) return `node ${port}: ${covered} of ${SLOTS} slots have a live master`;
      const replication = String(await askOr(port, '', 'INFO', 'replication'));
      if (replication.includes('role:slave') && !replication.includes('master_link_status:up'))
        return `replica ${port}: link to its master not up`;
    }
    return true;
  };
  let lastHealth: string | true = 'not checked';
  const waitHealthy = async (timeoutMs = 30_000) => {
    await waitFor(async () => (lastHealth = await healthy()) === true, {
      timeoutMs,
      intervalMs: 100,
      what: () => `a healthy Redis Cluster (${String(lastHealth)})`,
    });
  };

  const initialMasters = new Set<number>();
  try {
    await waitHealthy(60_000);
    for (const master of await masters()) initialMasters.add(master.port);
  } catch (error) {
    await stop();
    throw error;
  }

  const nodes: RedisClusterNode[] = ports.map((port) => ({
    port,
    get pid() {
      return children.get(port)?.pid;
    },
    initialRole: initialMasters.has(port) ? 'master' : 'replica',
  }));

  const keySlot = async (key: string) => Number(await ask(live()[0]!, 'CLUSTER', 'KEYSLOT', key));

  const killMaster = async (target: MasterTarget): Promise<KilledMaster> => {
    const current = await masters();
    let victim: { port: number; slots: Array<[number, number]> } | undefined;
    if (typeof target === 'number' || 'index' in target) {
      victim = current[typeof target === 'number' ? target : target.index];
    } else {
      const slot = 'slot' in target ? target.slot : await keySlot(target.key);
      victim = current.find((m) => m.slots.some(([a, b]) => slot >= a && slot <= b));
    }
    if (!victim) throw new Error(`no live master for ${JSON.stringify(target)}`);
    const child = children.get(victim.port);
    if (!child) throw new Error(`master ${victim.port} is not running`);
    children.delete(victim.port);
    const killedAt = Date.now();
    await terminate(child, 'SIGKILL');
    const firstSlot = victim.slots[0]![0];
    const failover = (async () => {
      let promoted = 0;
      await waitFor(
        async () => {
          const owner = (await masters()).find((m) => m.slots.some(([a, b]) => firstSlot >= a && firstSlot <= b));
          if (!owner || owner.port === victim.port || !children.has(owner.port)) return false;
          promoted = owner.port;
          return (lastHealth = await healthy()) === true;
        },
        { timeoutMs: 60_000, intervalMs: 100, what: () => `the failover of master ${victim.port} (${String(lastHealth)})` },
      );
      return { port: promoted, ms: Date.now() - killedAt };
    })();
    // A caller that never awaits the failover must not see an unhandled rejection.
    failover.catch(() => {});
    return { port: victim.port, slots: victim.slots, failover };
  };

  const restartNode = async (port: number) => {
    if (children.has(port)) return;
    if (!busPorts.has(port)) throw new Error(`port ${port} is not a node of this cluster`);
    children.set(port, await spawnNode(port, busPorts.get(port)!, dir, nodeTimeoutMs));
  };

  return {
    url: `redis+cluster://${ports.map((port) => `127.0.0.1:${port}`).join(',')}`,
    seedList: `redis://${ports.map((port) => `127.0.0.1:${port}`).join(',')}`,
    nodes,
    masters,
    keySlot,
    killMaster,
    restartNode,
    waitHealthy,
    stop,
  };
}
