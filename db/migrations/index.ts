import type { Migration } from 'kysely';
import * as initial from './001_initial.js';
import * as aggregates from './002_aggregates.js';
import * as queryFit from './003_query_fit.js';
import * as orderIdempotency from './004_order_idempotency.js';
import * as eventRollups from './005_event_rollups.js';
import * as eventWriteCost from './006_event_write_cost.js';

/** Every migration in order. Names are permanent: Kysely records them in kysely_migration. */
export const migrations: Record<string, Migration> = {
  '001_initial': initial,
  '002_aggregates': aggregates,
  '003_query_fit': queryFit,
  '004_order_idempotency': orderIdempotency,
  '005_event_rollups': eventRollups,
  '006_event_write_cost': eventWriteCost,
};
