import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Knows, for the current async call chain, whether it runs inside a @cached field's
 * computation. Data access (a loader call, a SQL statement) outside one marks the
 * request as not fully cacheable, so its response never becomes an operation entry.
 */
export interface AccessRecord {
  /** Set once anything read data outside a cached subtree. */
  uncached: boolean;
}

interface Scope {
  record: AccessRecord;
  inCached: boolean;
}

const storage = new AsyncLocalStorage<Scope>();

/** Runs a request's execution with a fresh record. */
export function trackRequest<T>(record: AccessRecord, run: () => T): T {
  return storage.run({ record, inCached: false }, run);
}

/** Runs a cached field's computation: its data access is covered by the field's entry. */
export function insideCachedField<T>(run: () => T): T {
  const scope = storage.getStore();
  return scope ? storage.run({ record: scope.record, inCached: true }, run) : run();
}

/** Called where data is read; marks the request when the read is not inside a cached field. */
export function noteDataAccess(): void {
  const scope = storage.getStore();
  if (scope && !scope.inCached) scope.record.uncached = true;
}
