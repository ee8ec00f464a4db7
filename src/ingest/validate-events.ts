import type { Principal } from '../auth/principal.js';
import { canSeeStore } from '../auth/principal.js';
import type { EventInput } from '../schema/inputs/event.input.js';
import { asciiDigits } from '../ascii-digits.js';
import { DAY_MS } from '../days.js';

export const MAX_EVENTS_PER_CALL = 1000;
export const MAX_PROPERTIES_BYTES = 4096;
const FUTURE_TOLERANCE_MS = 5 * 60_000;
const ID = /^[\w.:-]{1,128}$/;
const MAX_INT4 = 2_147_483_647;
// UTF-8 takes at most 3 bytes per UTF-16 code unit (a surrogate pair: 4 bytes for 2 units) and at
// least 1, so JSON text this short always fits and text this long never does: only the lengths
// between need Buffer.byteLength.
const ALWAYS_FITS_LENGTH = Math.floor(MAX_PROPERTIES_BYTES / 3);

export interface ValidEvent {
  index: number;
  id: string;
  storeId: number;
  type: string;
  occurredAt: Date;
  sessionId: string | null;
  customerId: number | null;
  properties: string | null;
}

export interface Rejection {
  index: number;
  code: 'BAD_USER_INPUT' | 'NOT_FOUND' | 'FORBIDDEN';
  message: string;
}

/**
 * A positive int4 id written as 1 to 10 ASCII digits (leading zeros allowed), else null:
 * the rule of /^\d{1,10}$/ plus the range check, without a regex and two Number() per call.
 */
export function positiveInt(value: string): number | null {
  if (value.length === 0 || value.length > 10) return null;
  const n = asciiDigits(value, 0, value.length);
  return n > 0 && n <= MAX_INT4 ? n : null;
}

/** Each event's store id as validateEvents reads it (null: not a positive integer id), for the store directory. */
export function storeIdsOf(events: readonly EventInput[]): Array<number | null> {
  const ids = new Array<number | null>(events.length);
  for (let i = 0; i < events.length; i++) ids[i] = positiveInt(events[i].storeId);
  return ids;
}

/**
 * Checks each event on its own, so one bad event never costs the others. Store
 * existence comes from `knownStores` (a cached directory), never a query per event.
 * `storeIds` is storeIdsOf(events) when the caller already has it.
 */
export function validateEvents(
  events: readonly EventInput[],
  principal: Principal,
  knownStores: ReadonlySet<number>,
  retentionDays: number,
  now = Date.now(),
  storeIds: ReadonlyArray<number | null> = storeIdsOf(events),
): { valid: ValidEvent[]; rejected: Rejection[] } {
  const valid: ValidEvent[] = [];
  const rejected: Rejection[] = [];
  const oldest = now - retentionDays * DAY_MS;
  const newest = now + FUTURE_TOLERANCE_MS;
  // A key limited to some stores: each store is checked once per batch, not once per event.
  const visible = new Map<number, boolean>();
  // One closure for the batch, not one per event.
  const reject = (index: number, code: Rejection['code'], message: string) => void rejected.push({ index, code, message });
  for (let index = 0; index < events.length; index++) {
    const event = events[index];
    if (!ID.test(event.id)) {
      reject(index, 'BAD_USER_INPUT', `id must be 1-128 characters of [A-Za-z0-9_.:-], got ${JSON.stringify(event.id.slice(0, 140))}`);
      continue;
    }
    const storeId = storeIds[index];
    if (storeId === null) {
      reject(index, 'BAD_USER_INPUT', `storeId must be a positive integer id, got ${JSON.stringify(event.storeId)}`);
      continue;
    }
    if (!knownStores.has(storeId)) {
      reject(index, 'NOT_FOUND', `store ${storeId} does not exist`);
      continue;
    }
    let mayWrite = visible.get(storeId);
    if (mayWrite === undefined) visible.set(storeId, (mayWrite = canSeeStore(principal, storeId)));
    if (!mayWrite) {
      reject(index, 'FORBIDDEN', `this API key may not write events for store ${storeId}`);
      continue;
    }
    const at = event.occurredAt.getTime();
    if (at > newest) {
      reject(index, 'BAD_USER_INPUT', `occurredAt ${event.occurredAt.toISOString()} is more than 5 minutes in the future`);
      continue;
    }
    if (at < oldest) {
      reject(
        index,
        'BAD_USER_INPUT',
        `occurredAt ${event.occurredAt.toISOString()} is older than the ${retentionDays}-day retention window`,
      );
      continue;
    }
    const customerId = event.customerId ? positiveInt(event.customerId) : null;
    if (event.customerId && customerId === null) {
      reject(index, 'BAD_USER_INPUT', `customerId must be a positive integer id, got ${JSON.stringify(event.customerId)}`);
      continue;
    }
    if (event.sessionId && event.sessionId.length > 128) {
      reject(index, 'BAD_USER_INPUT', 'sessionId must be at most 128 characters');
      continue;
    }
    const properties = event.properties === undefined || event.properties === null ? null : JSON.stringify(event.properties);
    if (properties !== null && properties.length > ALWAYS_FITS_LENGTH) {
      const bytes = Buffer.byteLength(properties);
      if (bytes > MAX_PROPERTIES_BYTES) {
        reject(index, 'BAD_USER_INPUT', `properties is ${bytes} bytes of JSON; at most ${MAX_PROPERTIES_BYTES} are allowed`);
        continue;
      }
    }
    valid.push({
      index,
      id: event.id,
      storeId,
      type: event.type,
      occurredAt: event.occurredAt,
      sessionId: event.sessionId ?? null,
      customerId,
      properties,
    });
  }
  return { valid, rejected };
}
