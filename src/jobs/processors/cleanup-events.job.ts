import { sql } from 'kysely';
import { writeTags } from '../../cache/tag-vocabulary.js';
import type { KindProcessor } from '../job-context.js';
import { DAY_MS } from '../../days.js';

const tag = writeTags('cleanupEvents');

/** The event tags of the (store, UTC day) buckets a chunk deleted from. */
export function tagsForDeletedEvents(rows: ReadonlyArray<{ store_id: number; day: string }>): string[] {
  return rows.flatMap((row) => tag.storeEvents(row.store_id, row.day));
}

/**
 * Deletes events older than EVENT_RETENTION_DAYS in chunks of CLEANUP_BATCH_SIZE (each
 * a short statement, so ingestion never waits on a long lock), and invalidates the
 * event tags of exactly the (store, day) buckets it emptied. Deleting what is already
 * gone deletes nothing, so a rerun is harmless.
 */
export const cleanupEventsJob: KindProcessor<'cleanupEvents'> = async (job, { services }) => {
  const db = services.database.db;
  const { EVENT_RETENTION_DAYS: days, CLEANUP_BATCH_SIZE: batch } = services.config;
  const cutoff = new Date(Date.now() - days * DAY_MS);
  const { total } = await db
    .selectFrom('events')
    .select((eb) => eb.fn.countAll<number>().as('total'))
    .where('occurred_at', '<', cutoff)
    .executeTakeFirstOrThrow();
  let deleted = 0;
  const touched = new Set<string>();
  for (;;) {
    const { rows } = await sql<{ store_id: number; day: string; n: number }>`
      WITH gone AS (
        DELETE FROM events WHERE ctid IN (SELECT ctid FROM events WHERE occurred_at < ${cutoff} LIMIT ${batch})
        RETURNING store_id, (occurred_at AT TIME ZONE 'UTC')::date::text AS day
      )
      SELECT store_id, day, count(*)::int AS n FROM gone GROUP BY 1, 2`.execute(db);
    const removed = rows.reduce((sum, row) => sum + row.n, 0);
    if (removed === 0) break;
    deleted += removed;
    const tags = tagsForDeletedEvents(rows);
    for (const emptied of tags) touched.add(emptied);
    await services.replicas?.noteCommit(tags); // read replicas: before the invalidation
    await services.cache.invalidate(tags);
    await job.updateProgress(Math.min(1, deleted / Math.max(total, 1)));
  }
  await job.updateProgress(1);
  services.logger.info({ jobId: job.id, deleted, cutoff }, 'old events cleaned up');
  return { deleted, cutoff: cutoff.toISOString(), invalidatedTags: touched.size };
};
