import { sql, type Kysely } from 'kysely';

/**
 * Event write cost: less Postgres work per ingested event.
 *
 * Measured before this migration (scale 1, about 300k events): one 1,000-event batch of
 * src/ingest/insert-events.ts costs Postgres about 19–20 ms of CPU, of which the foreign
 * key events.store_id → stores about 9 ms (a RI trigger and a stores primary-key probe per
 * row) and the secondary indexes about 6 ms (events_occurred_idx about 3 ms of it). See
 * docs/query-plans.md ("Event write cost") for the before/after figures.
 *
 *  - The foreign key `events_store_id_fkey` is dropped. Ingestion, the only writer apart from
 *    the seed, already refuses an event of an unknown store itself before it writes anything
 *    (src/ingest/store-directory.ts, validateEvents: NOT_FOUND per event); stores are only
 *    written by the seed and never deleted, so the constraint can no longer catch anything
 *    that the store check lets through, and cost a per-row trigger for nothing. A row
 *    written by hand SQL with a bogus store id is no longer refused by Postgres; no read
 *    joins events to stores (the analytic reads filter by store id), so such a row only
 *    counts under an id that no API key or query names.
 *  - The btree `events_occurred_idx (occurred_at)` becomes the BRIN `events_occurred_brin`.
 *    Its one reader is the cleanup job (src/jobs/processors/cleanup-events.job.ts: the
 *    count and the chunked delete of events older than EVENT_RETENTION_DAYS); the store
 *    reads use events_store_time_idx (store_id, occurred_at), the rollup views' refresh
 *    reads the whole table, and the statement trigger of 005 reads only its transition
 *    table. Events arrive roughly in time order, so each 128-page range of the heap holds
 *    a narrow slice of time and a BRIN of a few pages answers `occurred_at < cutoff`
 *    with a bitmap heap scan of just the old ranges, at a fraction of a btree's
 *    maintenance (one summary update per page range, not one index tuple per row).
 *    Trade-off: BRIN is lossy (every row of a matching range is rechecked) and its
 *    summaries only widen, so a range refilled with new events after the cleanup and
 *    VACUUM freed it keeps its old minimum and matches every later cleanup until it is
 *    summarized again: once the whole heap has turned over, the cleanup reads about the
 *    heap once per chunk (a sequential scan would read as much). That is a once-a-day
 *    maintenance job against a cost paid on every ingested event. autosummarize = on
 *    summarizes each filled range at the tail of the heap without waiting for a VACUUM.
 *
 * Every other index of events stays: the primary key (idempotent ingestion, ON CONFLICT)
 * and events_store_time_idx (the store reads, index-only).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    ALTER TABLE events DROP CONSTRAINT events_store_id_fkey;
    DROP INDEX events_occurred_idx;
    CREATE INDEX events_occurred_brin ON events USING brin (occurred_at) WITH (autosummarize = on);
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    DROP INDEX events_occurred_brin;
    CREATE INDEX events_occurred_idx ON events (occurred_at);
    ALTER TABLE events ADD CONSTRAINT events_store_id_fkey FOREIGN KEY (store_id) REFERENCES stores(id);
  `.execute(db);
}
