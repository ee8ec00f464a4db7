import type { Principal } from './auth/principal.js';
import type { Services } from './services.js';
import type { AccessRecord } from './cache/access-tracker.js';
import type { CacheOutcome } from './cache/cache.js';
import { LoaderRegistry } from './loaders/loader-registry.js';

/** What every resolver sees: who calls, this request's loaders, and the process's services. */
export interface RequestContext {
  requestId: string;
  /**
   * null only for an in-process caller without a key (HTTP and graphql-ws refuse a request
   * without a valid key before it runs); root fields then answer UNAUTHENTICATED.
   */
  principal: Principal | null;
  loaders: LoaderRegistry;
  services: Services;
  /** What each @cached field did in this request, for extensions.cache and X-Cache. */
  cacheOutcomes: CacheOutcome[];
  /** Whether anything read data outside a @cached field (then the response is not stored whole). */
  access: AccessRecord;
  /** ms epoch the request started: an operation entry is refused if its tags were invalidated since. */
  startedAt: number;
}

export function createRequestContext(
  services: Services,
  principal: Principal | null,
  requestId: string,
  access: AccessRecord = { uncached: false },
): RequestContext {
  return { requestId, principal, loaders: new LoaderRegistry(), services, cacheOutcomes: [], access, startedAt: Date.now() };
}
