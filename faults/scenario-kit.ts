import { loadConfig } from '../src/config.js';
import { openJobBackend } from '../src/jobs/job-backend.js';
import { KIND_POLICIES } from '../src/jobs/job-kinds.js';
import { JobQueues } from '../src/jobs/job-queues.js';
import { createLogger } from '../src/logger.js';
import type { RedisServerProcess } from '../test/helpers/redis-server.js';
import { startSteadyLoad, type RunningLoad } from './load.js';
import { WriteLedger, type LedgerCheck } from './ledger.js';
import type { ScenarioContext, Verdict } from './scenario.js';
import { FAULTS_ADMIN_KEY, type ApiProcess, type FaultStack } from './stack.js';
import { mixedWorkload } from './workload.js';

/** The steps most scenarios share: an API with its Redis under the steady mixed load, and the ledger check after. */

export interface LoadedApi {
  redis: RedisServerProcess;
  api: ApiProcess;
  ledger: WriteLedger;
  load: RunningLoad;
}

/** A fresh Redis, one API on it (plus `env`), and the mixed load at the run's rate, already steady. */
export async function loadedApi(
  stack: FaultStack,
  { rate }: ScenarioContext,
  tag: string,
  env: Record<string, string> = {},
): Promise<LoadedApi> {
  const redis = await stack.startRedis();
  const api = await stack.startApi({ REDIS_URL: redis.url, ...env });
  const ledger = new WriteLedger(`faults-${tag}-${Date.now().toString(36)}`);
  const load = await startSteadyLoad({
    url: api.url,
    apiKey: FAULTS_ADMIN_KEY,
    ratePerSec: rate,
    next: mixedWorkload(stack.catalog, ledger),
  });
  return { redis, api, ledger, load };
}

/** Every scenario's first rule: nothing accepted is lost, stored twice or half-written. */
export function requireNothingLost(verdict: Verdict, check: LedgerCheck): void {
  verdict.require(
    check.lost === 0 && check.duplicated === 0 && check.halfWritten === 0,
    `accepted writes lost ${check.lost}, duplicated ${check.duplicated}, half-written ${check.halfWritten}`,
  );
}

/**
 * The project's own queue code, from the harness, on the scenario's Redis: to queue jobs
 * the public API cannot (a slow report) or to drive a waiting job's progress.
 */
export async function harnessQueues(
  stack: FaultStack,
  redisUrl: string,
  log: (line: string) => void,
): Promise<{ queues: JobQueues; close(): Promise<void> }> {
  const config = loadConfig({
    DATABASE_URL: stack.postgres.url,
    REDIS_URL: redisUrl,
    ADMIN_API_KEY: FAULTS_ADMIN_KEY,
    NODE_ENV: 'production',
  });
  const backend = await openJobBackend(
    config,
    stack.postgres.url,
    (error) => log(`job backend connection: ${error.message}`),
    (error, part) => log(`job backend ${part}: ${error.message}`),
  );
  const queues = new JobQueues(backend, KIND_POLICIES, config);
  return {
    queues,
    close: async () => {
      await queues.close(createLogger('warn'));
      await backend.close();
    },
  };
}
