import type { Principal } from '../auth/principal.js';
import { canSeeStore } from '../auth/principal.js';
import type { EventInput } from '../schema/inputs/event.input.js';
import { DAY_MS } from '../days.js';

export const MAX_EVENTS_PER_CALL = 1000;
export const MAX_PROPERTIES_BYTES = 4096;
const FUTURE_TOLERANCE_MS = 5 * 60_000;
const ID = /^[\w.:-]{1,128}$/;

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

function positiveInt(value: string): number | null {
  return /^\d{1,10}$/.test(value) && Number(value) > 0 && Number(value) <= 2_147_483_647 ? Number(value) : null;
}

/**
 * Checks each event on its own, so one bad event never costs the others. Store
 * existence comes from `knownStores` (a cached directory), never a query per event.
 */
export function validateEvents(
  events: readonly EventInput[],
  principal: Principal,
  knownStores: ReadonlySet<number>,
  retentionDays: number,
  now = Date.now(),
): { valid: ValidEvent[]; rejected: Rejection[] } {
  const valid: ValidEvent[] = [];
  const rejected: Rejection[] = [];
  const oldest = now - retentionDays * DAY_MS;
  events.forEach((event, index) => {
    const reject = (code: Rejection['code'], message: string) => rejected.push({ index, code, message });
    if (!ID.test(event.id))
      return reject('BAD_USER_INPUT', `id must be 1-128 characters of [A-Za-z0-9_.:-], got ${JSON.stringify(event.id.slice(0, 140))}`);
    const storeId = positiveInt(event.storeId);
    if (storeId === null) return reject('BAD_USER_INPUT', `storeId must be a positive integer id, got ${JSON.stringify(event.storeId)}`);
    if (!knownStores.has(storeId)) return reject('NOT_FOUND', `store ${storeId} does not exist`);
    if (!canSeeStore(principal, storeId)) return reject('FORBIDDEN', `this API key may not write events for store ${storeId}`);
    const at = event.occurredAt.getTime();
    if (at > now + FUTURE_TOLERANCE_MS)
      return reject('BAD_USER_INPUT', `occurredAt ${event.occurredAt.toISOString()} is more than 5 minutes in the future`);
    if (at < oldest)
      return reject(
        'BAD_USER_INPUT',
        `occurredAt ${event.occurredAt.toISOString()} is older than the ${retentionDays}-day retention window`,
      );
    const customerId = event.customerId ? positiveInt(event.customerId) : null;
    if (event.customerId && customerId === null)
      return reject('BAD_USER_INPUT', `customerId must be a positive integer id, got ${JSON.stringify(event.customerId)}`);
    if (event.sessionId && event.sessionId.length > 128) return reject('BAD_USER_INPUT', 'sessionId must be at most 128 characters');
    const properties = event.properties === undefined || event.properties === null ? null : JSON.stringify(event.properties);
    if (properties !== null && Buffer.byteLength(properties) > MAX_PROPERTIES_BYTES) {
      return reject(
        'BAD_USER_INPUT',
        `properties is ${Buffer.byteLength(properties)} bytes of JSON; at most ${MAX_PROPERTIES_BYTES} are allowed`,
      );
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
  });
  return { valid, rejected };
}
