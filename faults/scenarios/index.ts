import type { Scenario } from '../scenario.js';
import { connectionFlood } from './connection-flood.js';
import { apiSigkillEmbedded } from './api-sigkill-embedded.js';
import { apiSigkill } from './api-sigkill.js';
import { apiSigterm } from './api-sigterm.js';
import { postgresRestart } from './postgres-restart.js';
import { redisFreeze } from './redis-freeze.js';
import { redisKill } from './redis-kill.js';
import { slowConsumers } from './slow-consumers.js';
import { soak } from './soak.js';
import { workerSigkill } from './worker-sigkill.js';

/** Every scenario, in run order. */
export const SCENARIOS: readonly Scenario[] = [
  redisKill,
  redisFreeze,
  postgresRestart,
  apiSigterm,
  apiSigkill,
  apiSigkillEmbedded,
  workerSigkill,
  slowConsumers,
  connectionFlood,
  soak,
];
