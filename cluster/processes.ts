import type { EntryProcess } from '../test/helpers/entry-process.js';
import type { RedisServerProcess } from '../test/helpers/redis-server.js';
import { freePort } from '../src/db/embedded-postgres.js';
import { FAULTS_ADMIN_KEY, FaultStack, type ApiProcess } from '../faults/stack.js';
import { HEALTH, startHaproxy, type Haproxy } from './haproxy.js';

/**
 * The many-instances topology on real processes: Debian's Postgres 15 (one throwaway
 * cluster, migrated and seeded once), one redis-server, N API processes (`npm start`,
 * WORKERS=none), M `npm run worker` processes, and HAProxy in front of the APIs. Built on
 * the fault harness's FaultStack (same Postgres, same process entries); `close()` stops
 * everything, also after a failed start.
 */

export const CLUSTER_ADMIN_KEY = FAULTS_ADMIN_KEY;

/**
 * An API process's SHUTDOWN_DELAY_MS: /readyz answers 503 for this long before the listener
 * closes. Well above HAProxy's inter × fall (1 s, plus one check in flight, on a loaded
 * machine), so HAProxy has taken the instance out of rotation before it refuses connections.
 */
export const SHUTDOWN_DELAY_MS = 5 * HEALTH.interMs * HEALTH.fall; // 5 s

export interface ClusterOptions {
  apis: number;
  workers: number;
  /** HAProxy's port; 0: a free one. */
  port: number;
  /** Extra env of every API and worker process (e.g. fast stall detection in the test). */
  env?: Record<string, string>;
  /** Called as each step starts (the demo's progress phases, the test's log). */
  onStep?: (step: string) => void;
  /** A note about the step under way (how long the seed took…). */
  onInfo?: (line: string) => void;
}

export interface ClusterApi extends ApiProcess {
  /** HAProxy's name for it (api1…). */
  readonly name: string;
}

export class ClusterStack {
  readonly apis: ClusterApi[] = [];
  readonly workers: EntryProcess[] = [];
  haproxy: Haproxy | null = null;
  redis: RedisServerProcess | null = null;

  private constructor(readonly base: FaultStack) {}

  /** Env of every API and worker process of the cluster. */
  env(extra: Record<string, string> = {}): Record<string, string> {
    if (!this.redis) throw new Error('Redis is not started');
    return {
      REDIS_URL: this.redis.url,
      REDIS_PREFIX: 'gp-cluster:',
      SHUTDOWN_DELAY_MS: String(SHUTDOWN_DELAY_MS),
      SHUTDOWN_GRACE_MS: String(SHUTDOWN_DELAY_MS + 10_000),
      ...extra,
    };
  }

  static async start(options: ClusterOptions): Promise<ClusterStack> {
    const step = options.onStep ?? (() => undefined);
    step('Postgres 15: initdb, migrations and the demo seed');
    const info = options.onInfo ?? (() => undefined);
    const base = await FaultStack.open((line) => info(line.replace(/^faults: /, '')));
    const stack = new ClusterStack(base);
    try {
      step('Redis');
      stack.redis = await base.startRedis();
      const env = stack.env(options.env);
      // Started one after the other: on a small machine parallel boots only take longer each.
      for (let i = 1; i <= options.apis; i += 1) {
        step(`API process ${i}/${options.apis}`);
        const api = await base.startApi({ ...env, WORKERS: 'none' });
        stack.apis.push({ ...api, name: `api${i}` });
      }
      for (let i = 1; i <= options.workers; i += 1) {
        step(`worker process ${i}/${options.workers}`);
        stack.workers.push(await base.startWorker(env));
      }
      step('HAProxy (waiting for every API to pass its /readyz check)');
      stack.haproxy = await startHaproxy({
        port: options.port || (await freePort()),
        servers: stack.apis.map((api) => ({ name: api.name, host: '127.0.0.1', port: api.port })),
      });
      return stack;
    } catch (error) {
      await stack.close();
      throw error;
    }
  }

  /** The API behind `name` (api1…). */
  api(name: string): ClusterApi {
    const api = this.apis.find((a) => a.name === name);
    if (!api) throw new Error(`no API named ${name}`);
    return api;
  }

  /** Starts a new API process on the port of `name` (after it exited): HAProxy puts it back once `rise` checks pass. */
  async replaceApi(name: string, env: Record<string, string> = {}): Promise<ClusterApi> {
    const old = this.api(name);
    const api = { ...(await this.base.startApi({ ...this.env(env), WORKERS: 'none' }, { port: old.port })), name };
    this.apis.splice(this.apis.indexOf(old), 1, api);
    return api;
  }

  /** Stops HAProxy, then every process, Redis and Postgres. */
  async close(): Promise<void> {
    await this.haproxy?.stop().catch((error: unknown) => console.error(`cluster: stopping haproxy: ${String(error)}`));
    await this.base.close();
  }
}
