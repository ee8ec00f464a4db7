import { sql } from 'kysely';
import { defaultWarmRanges } from '../warm-cache.js';
import { MATERIALIZED_VIEWS, refreshAggregates } from '../../db/queries/refresh-aggregates.js';
import type { KindProcessor } from '../job-context.js';
import { PRIORITY } from '../job-kinds.js';
import { changesBetween, fingerprintViews } from '../view-fingerprints.js';

// Fingerprints, one step per view, invalidation, done.
const STEPS = MATERIALIZED_VIEWS.length + 3;
const INVALIDATE_CHUNK = 500;

/**
 * REFRESH MATERIALIZED VIEW CONCURRENTLY for every view (MATERIALIZED_VIEWS, in order),
 * then invalidates exactly the tags whose view rows changed and queues a warmCache of
 * exactly the stores and default ranges those changes touch (the "warm after each
 * refresh" schedule). Answers never depend on the views (they are an optimisation), so
 * a retry after a crash at any step only repeats harmless work.
 */
export const refreshAggregatesJob: KindProcessor<'refreshAggregates'> = async (job, { services, queues }) => {
  const progress = (step: number) => job.updateProgress(step / STEPS);
  // One connection without the API's statement timeout: a refresh of big views may take minutes.
  const outcome = await services.database.db.connection().execute(async (db) => {
    await sql`SET statement_timeout = 0`.execute(db);
    try {
      const before = await fingerprintViews(db);
      await progress(1);
      const refreshed = await refreshAggregates(db, (_view, index) => progress(2 + index));
      const after = await fingerprintViews(db);
      return { refreshed, changes: changesBetween(before, after) };
    } finally {
      await sql`RESET statement_timeout`.execute(db);
    }
  });
  const { refreshed, changes } = outcome;
  for (let i = 0; i < changes.tags.length; i += INVALIDATE_CHUNK) {
    const chunk = changes.tags.slice(i, i + INVALIDATE_CHUNK);
    // Read replicas: the refresh's commit LSN is noted before its tags are invalidated.
    await services.replicas?.noteCommit(chunk);
    await services.cache.invalidate(chunk);
  }
  await progress(STEPS - 1);
  const ranges = defaultWarmRanges().filter((range) => changes.days.some((day) => day >= range.from && day <= range.to));
  let warmJobId: string | null = null;
  if (changes.storeIds.length > 0 && ranges.length > 0) {
    const warm = await queues.enqueue(
      'warmCache',
      { storeIds: changes.storeIds, ranges },
      { requested: job.opts.priority === PRIORITY.requested },
    );
    warmJobId = warm.id;
  }
  await progress(STEPS);
  services.logger.info(
    { jobId: job.id, changedBuckets: changes.buckets.length, tags: changes.tags.length, warmJobId },
    'aggregates refreshed',
  );
  return {
    coveredUntil: refreshed.coveredUntil,
    advanced: refreshed.advanced,
    changedBuckets: changes.buckets.length,
    // A sample, so the result stays small after a first refresh that changes everything.
    changed: changes.buckets.slice(0, 200),
    invalidatedTags: changes.tags.length,
    warmJobId,
  };
};
