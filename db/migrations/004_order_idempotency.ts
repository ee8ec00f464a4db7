import { sql, type Kysely } from 'kysely';

/**
 * Idempotent recordOrder: a client that lost the answer (a timeout, a restarted Postgres,
 * a killed API process) sends the same order again with the same idempotency key and gets
 * the first order back instead of recording a second one.
 *
 *  - idempotency_key: the client's key; NULL for orders recorded without one (every older
 *    order, and clients that never retry).
 *  - idempotency_fingerprint: a digest of the request the key was first used with, so that
 *    reusing a key for a different order is refused instead of answered with the wrong
 *    order. The rule behind the digest is in src/use-cases/order-idempotency.ts; the two
 *    columns are set together or not at all.
 *
 * Unique per (store_id, idempotency_key), not per deployment: keys are chosen by clients,
 * and the clients of different stores (API keys scoped to different stores) know nothing of
 * each other. With one global space, one store's key "1001" would collide with another's,
 * refusing an honest order or answering it with an order of a store the caller may not
 * see. Not per API key either: orders do not record the key that wrote them, and a key
 * rotated between an attempt and its retry must still find the first attempt.
 *
 * Partial (WHERE idempotency_key IS NOT NULL) so orders without a key cost the index
 * nothing and never conflict. Nullable columns without a default rewrite no row, and the
 * index is empty when built, so this is quick on a large orders table.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    ALTER TABLE orders
      ADD COLUMN idempotency_key text CHECK (char_length(idempotency_key) BETWEEN 1 AND 100),
      ADD COLUMN idempotency_fingerprint text,
      ADD CONSTRAINT orders_idempotency_pair CHECK ((idempotency_key IS NULL) = (idempotency_fingerprint IS NULL));
    CREATE UNIQUE INDEX orders_store_idempotency_key_idx ON orders (store_id, idempotency_key)
      WHERE idempotency_key IS NOT NULL;
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    DROP INDEX orders_store_idempotency_key_idx;
    ALTER TABLE orders DROP CONSTRAINT orders_idempotency_pair, DROP COLUMN idempotency_fingerprint, DROP COLUMN idempotency_key;
  `.execute(db);
}
