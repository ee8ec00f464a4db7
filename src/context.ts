import type { Principal } from './auth/principal.js';
import { grantsOf, type RoleGrants } from './auth/role-grants.js';
import type { Services } from './services.js';
import type { CacheOutcome } from './cache/cache.js';
import { RequestCacheRecord } from './cache/request-cache-record.js';
import type { Db } from './db/database.js';
import { RequestReads } from './db/replica-routing.js';
import { LoaderRegistry } from './loaders/loader-registry.js';

/** What every resolver sees: who calls, this request's loaders, and the process's services. */
export interface RequestContext {
  requestId: string;
  /**
   * null only for an in-process caller without a key (HTTP and graphql-ws refuse a request
   * without a valid key before it runs); root fields then answer UNAUTHENTICATED.
   */
  principal: Principal | null;
  /** The principal's role decisions (src/auth/role-grants.ts): @Authorized fields and the reader flag read them. */
  readonly grants: RoleGrants;
  /** The principal may read analytics (VIEWER, ADMIN): grants.reader. */
  readonly reader: boolean;
  /**
   * This request's DataLoaders, and its database. Both are data access: reaching for them
   * outside a @cached computation is noted in `cacheRecord`.
   */
  readonly loaders: LoaderRegistry;
  readonly db: Db;
  /**
   * The database this context's reads go to, without noting anything (DataLoader batches
   * use it; they were noted where they were asked for): a read replica or the primary,
   * as `reads` decides, or the primary when DATABASE_READ_URLS is unset (`reads` null).
   */
  readonly readDb: Db;
  readonly reads: RequestReads | null;
  /** True in the view of a @cached computation that must see a noted commit (withinFreshCachedField). */
  readonly readsFresh: boolean;
  services: Services;
  /** What the cache did in this request, and whether everything was cached (X-Cache, extensions.cache, the operation store). */
  readonly cacheRecord: RequestCacheRecord;
  /** cacheRecord.fields: what each @cached field did, in the order they completed. */
  readonly cacheOutcomes: CacheOutcome[];
  /** True in the context a @cached field's computation runs with (see withinCachedField). */
  readonly insideCached: boolean;
  /** ms epoch the request started: an operation entry is refused if its tags were invalidated since. */
  startedAt: number;
  /**
   * The operation's cost once the security plugin accepted it (before any resolver runs);
   * read by whoever needs it (extensions.cost, the operation store) so no plugin depends
   * on another's place in the list.
   */
  cost: { requested: number; limit: number } | null;
}

/**
 * A request's context. "Was everything read inside a cached computation?" is carried
 * here, not in AsyncLocalStorage (whose promise hooks cost every request): a cached
 * field runs its resolver with withinCachedField(ctx), a view of the same context whose
 * `insideCached` is true, and the data-access getters consult it. DataLoader batches
 * run later, outside any call stack, so they are marked where they are asked for
 * (`ctx.loaders`), never where they run.
 */
export function createRequestContext(services: Services, principal: Principal | null, requestId: string): RequestContext {
  return new RequestContextValue(services, principal, requestId);
}

/**
 * The getters live on the prototype: Apollo copies a context's own properties into a
 * fresh object of the same prototype for each operation, which would turn getters that
 * were own properties into plain values (and read them while copying).
 */
class RequestContextValue implements RequestContext {
  readonly grants: RoleGrants;
  readonly reader: boolean;
  readonly insideCached: boolean = false;
  readonly readsFresh: boolean = false;
  readonly reads: RequestReads | null;
  readonly cacheRecord = new RequestCacheRecord();
  startedAt = Date.now();
  cost: { requested: number; limit: number } | null = null;
  private readonly loaderRegistry = new LoaderRegistry();

  constructor(
    public services: Services,
    public principal: Principal | null,
    public requestId: string,
  ) {
    this.grants = grantsOf(principal?.role ?? null);
    this.reader = this.grants.reader;
    this.reads = services.replicas ? new RequestReads(services.replicas) : null;
  }

  get cacheOutcomes(): CacheOutcome[] {
    return this.cacheRecord.fields;
  }

  get loaders(): LoaderRegistry {
    noteUncachedWork(this);
    return this.loaderRegistry;
  }

  get db(): Db {
    noteUncachedWork(this);
    return this.readDb;
  }

  get readDb(): Db {
    return this.reads ? this.reads.db(this.readsFresh) : this.services.database.db;
  }
}

const cachedViews = new WeakMap<RequestContext, RequestContext>();

/** The context a @cached field's computation runs with: the same request, its reads covered by the field's entry. */
export function withinCachedField(ctx: RequestContext): RequestContext {
  if (ctx.insideCached) return ctx;
  let view = cachedViews.get(ctx);
  if (!view) {
    view = Object.create(ctx, { insideCached: { value: true } }) as RequestContext;
    cachedViews.set(ctx, view);
  }
  return view;
}

const freshViews = new WeakMap<RequestContext, RequestContext>();

/**
 * The context of a @cached computation whose tags carry a noted commit (read replicas):
 * its statements go where that commit is visible (RequestReads.db(fresh)), and its
 * DataLoaders are its own, so it never reuses a row an earlier batch of the request read
 * from a replica that had not replayed the commit yet.
 */
export function withinFreshCachedField(ctx: RequestContext): RequestContext {
  let view = freshViews.get(ctx);
  if (!view) {
    const loaders = withinCachedField(ctx).loaders.partition();
    view = Object.create(withinCachedField(ctx), {
      readsFresh: { value: true },
      loaders: { get: () => loaders },
    }) as RequestContext;
    freshViews.set(ctx, view);
  }
  return view;
}

/** Marks the request as having read data outside any cached computation (e.g. a non-cached field that does work). */
export function noteUncachedWork(ctx: RequestContext): void {
  if (!ctx.insideCached) ctx.cacheRecord.noteUncachedRead();
}
