import type { RequestContext } from '../context.js';
import { NotFoundError } from '../errors.js';

/** Stores an argument names must exist: NOT_FOUND naming every missing one. `ids` is not empty. */
export async function expectKnownStores(ctx: RequestContext, ids: readonly number[]): Promise<void> {
  const found = await ctx.db.selectFrom('stores').select('id').where('id', 'in', ids).execute();
  const missing = ids.filter((id) => !found.some((row) => row.id === id));
  if (missing.length) throw new NotFoundError('Store', missing.join(','));
}
