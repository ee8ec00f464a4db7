import type { Role } from '../db/tables.js';
import { BadUserInputError, ForbiddenError } from '../errors.js';

/** Who is calling: an API key's role and optional store scope. */
export interface Principal {
  keyId: number;
  name: string;
  role: Role;
  /** null: every store. */
  storeIds: readonly number[] | null;
}

export function canSeeStore(principal: Principal, storeId: number): boolean {
  return principal.storeIds === null || principal.storeIds.includes(storeId);
}

export function assertStoreVisible(principal: Principal, storeId: number): void {
  if (!canSeeStore(principal, storeId)) {
    throw new ForbiddenError(`This API key may not read or write store ${storeId}`);
  }
}

/**
 * The stores a request may aggregate over: the requested ones (each must be in scope),
 * or the key's whole scope when none are requested (null = all stores).
 */
export function scopedStoreIds(principal: Principal, requested: readonly number[] | null | undefined): number[] | null {
  if (requested && requested.length === 0) {
    throw new BadUserInputError('storeIds must name at least one store, or be omitted for every store the key may see', {
      argument: 'storeIds',
    });
  }
  if (requested && requested.length > 0) {
    for (const id of requested) assertStoreVisible(principal, id);
    return [...requested];
  }
  return principal.storeIds === null ? null : [...principal.storeIds];
}

/** A stable short string naming the key's scope, for PRIVATE cache keys and logs. */
export function scopeKey(principal: Principal): string {
  return principal.storeIds === null ? 'all' : `stores:${[...principal.storeIds].sort((a, b) => a - b).join(',')}`;
}
