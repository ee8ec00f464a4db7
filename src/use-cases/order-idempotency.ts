import { createHash } from 'node:crypto';
import type { OrderIdempotency } from '../db/writes/record-order.js';
import type { OrderRow } from '../db/rows.js';
import type { Channel } from '../db/tables.js';
import { BadUserInputError } from '../errors.js';

const ARGUMENT = 'input.idempotencyKey';
const MAX_KEY_LENGTH = 100;
/** Printable ASCII: keys travel in logs and messages, where control characters and look-alike Unicode do harm. */
const PRINTABLE_ASCII = /^[\x20-\x7e]$/;
/** Part of every digest: a change of the comparison rule changes it, so old keys cannot match under a new rule by accident. */
const FINGERPRINT_RULE = 'recordOrder/v1';

/** What an idempotency key promises to repeat: the order as the caller asked for it, after validation. */
export interface OrderRequest {
  storeId: number;
  customerId: number | null;
  channel: Channel;
  /** As sent: null when omitted (the server's clock then decides, and a retry must omit it too). */
  placedAt: Date | null;
  /** Quantity per product, lines for one product already summed. */
  quantities: ReadonlyMap<number, number>;
}

/**
 * Checks `input.idempotencyKey` and pairs it with the digest of the request (null when the
 * caller sent no key). Comparison rule: two requests are the same order when store,
 * customer, channel, placedAt (as sent, or both omitted) and the quantity per product are
 * equal; the order and split of lines do not matter, since the order records one line per
 * product either way. Prices are not part of it: a retry gets the order at the prices it
 * was first recorded at, even if the catalogue changed in between.
 */
export function orderIdempotency(key: string | null | undefined, request: OrderRequest): OrderIdempotency | null {
  if (key === null || key === undefined) return null;
  const problem = keyProblem(key);
  if (problem) {
    throw new BadUserInputError(`${ARGUMENT} must be 1 to ${MAX_KEY_LENGTH} printable ASCII characters (space through ~), got ${problem}`, {
      argument: ARGUMENT,
    });
  }
  const lines = [...request.quantities].sort(([a], [b]) => a - b);
  const canonical = JSON.stringify([
    FINGERPRINT_RULE,
    request.storeId,
    request.customerId,
    request.channel,
    request.placedAt?.toISOString() ?? null,
    lines,
  ]);
  return { key, fingerprint: createHash('sha256').update(canonical).digest('hex') };
}

/**
 * The order a key was first used for, when this request asks for the same order; a
 * BAD_USER_INPUT naming the key when it asks for a different one (answering with the
 * first order would tell the caller its new order was recorded when it was not).
 */
export function replayOf(recorded: OrderRow, idempotency: OrderIdempotency): OrderRow {
  if (recorded.idempotency_fingerprint !== idempotency.fingerprint) {
    throw new BadUserInputError(
      `${ARGUMENT} ${JSON.stringify(idempotency.key)} was already used for a different order (order ${recorded.id} at store ` +
        `${recorded.store_id}); a retry must repeat customerId, channel, placedAt and items exactly, a new order needs a new key`,
      { argument: ARGUMENT },
    );
  }
  return recorded;
}

function keyProblem(key: string): string | null {
  if (key.length === 0) return 'an empty string';
  const characters = [...key];
  const bad = characters.findIndex((ch) => !PRINTABLE_ASCII.test(ch));
  // The code point, not the character: a control character in a message would garble it.
  if (bad >= 0) return `U+${(characters[bad].codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')} at character ${bad + 1}`;
  if (key.length > MAX_KEY_LENGTH) return `${key.length} characters`;
  return null;
}
