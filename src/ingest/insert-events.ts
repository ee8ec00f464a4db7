import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import type { ValidEvent } from './validate-events.js';

/**
 * One statement for the whole batch (unnest arrays): atomic on its own — a crash leaves
 * all of the batch's new events or none — and idempotent through the id primary key.
 * Returns the events actually stored (a repeated id, in this batch or earlier, is not).
 */
export async function insertEvents(db: Db, events: readonly ValidEvent[]): Promise<Array<{ storeId: number; occurredAt: Date }>> {
  if (events.length === 0) return [];
  const { rows } = await sql<{ store_id: number; occurred_at: Date }>`
    INSERT INTO events (id, store_id, type, occurred_at, session_id, customer_id, properties)
    SELECT * FROM unnest(
      ${events.map((e) => e.id)}::text[],
      ${events.map((e) => e.storeId)}::int[],
      ${events.map((e) => e.type)}::text[],
      ${events.map((e) => e.occurredAt.toISOString())}::timestamptz[],
      ${events.map((e) => e.sessionId)}::text[],
      ${events.map((e) => e.customerId)}::int[],
      ${events.map((e) => e.properties)}::jsonb[])
    ON CONFLICT (id) DO NOTHING
    RETURNING store_id, occurred_at`.execute(db);
  return rows.map((r) => ({ storeId: r.store_id, occurredAt: r.occurred_at }));
}
