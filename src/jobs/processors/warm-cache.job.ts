import { defaultWarmRanges, warmCache } from '../warm-cache.js';
import type { KindProcessor } from '../job-context.js';

/** Fills the cache for the stores and ranges asked (default: every store, the dashboards' default ranges), one range per step. */
export const warmCacheJob: KindProcessor<'warmCache'> = async (job, { services, schema }) => {
  const ranges = job.data.ranges ?? defaultWarmRanges();
  const totals = { stores: 0, ranges: ranges.length, fieldsWarmed: 0, alreadyCached: 0 };
  for (const [index, range] of ranges.entries()) {
    const result = await warmCache(schema, services, { storeIds: job.data.storeIds, ranges: [range] });
    totals.stores = result.stores;
    totals.fieldsWarmed += result.fieldsWarmed;
    totals.alreadyCached += result.alreadyCached;
    await job.updateProgress((index + 1) / ranges.length);
  }
  return totals;
};
