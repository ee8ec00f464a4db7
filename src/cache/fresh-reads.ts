import { withinCachedField, withinFreshCachedField, type RequestContext } from '../context.js';

/**
 * The context a @cached field's computation runs with. Without read replicas, or once
 * the request reads the primary anyway, the cached view at once (no await). Otherwise
 * the field's tags are looked up in the commit LSN notes first: when a write noted one,
 * the computation runs in the fresh view, whose reads go to a replica only if it has
 * replayed that commit (RequestReads), so a value older than the invalidation that
 * emptied this entry is never stored in it.
 */
export function computationContext(ctx: RequestContext, tags: () => string[]): RequestContext | Promise<RequestContext> {
  const reads = ctx.reads;
  const replicas = ctx.services.replicas;
  if (!reads || !replicas || reads.onPrimary) return withinCachedField(ctx);
  return replicas.floorFor(tags()).then((floor) => {
    if (floor === 0n) return withinCachedField(ctx);
    reads.raise(floor);
    return withinFreshCachedField(ctx);
  });
}
