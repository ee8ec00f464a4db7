import type { Db } from '../db/database.js';

/**
 * Which store ids exist, without a query per batch: the set is reloaded at most every
 * `maxAgeMs`, and when a batch names an id it does not know (at most once a second,
 * so a store created a moment ago is accepted within a second).
 */
export class StoreDirectory {
  private ids = new Set<number>();
  private loadedAt = 0;
  private loading: Promise<void> | null = null;

  constructor(
    private readonly db: Db,
    private readonly maxAgeMs = 30_000,
  ) {}

  private reload(): Promise<void> {
    this.loading ??= this.db
      .selectFrom('stores')
      .select('id')
      .execute()
      .then((rows) => {
        this.ids = new Set(rows.map((r) => r.id));
        this.loadedAt = Date.now();
      })
      .finally(() => (this.loading = null));
    return this.loading;
  }

  /** The subset of `ids` that exist; null and ids of 0 or below (no store has one) are left out. */
  async existing(ids: Iterable<number | null>): Promise<Set<number>> {
    const wanted = new Set<number>();
    for (const id of ids) if (id !== null && id > 0) wanted.add(id);
    const age = Date.now() - this.loadedAt;
    // An unknown id reloads too, but at most once a second, so batches of bogus ids cannot flood Postgres.
    if (age > this.maxAgeMs || (age > 1_000 && !this.hasAll(wanted))) await this.reload();
    const found = new Set<number>();
    for (const id of wanted) if (this.ids.has(id)) found.add(id);
    return found;
  }

  private hasAll(ids: Iterable<number>): boolean {
    for (const id of ids) if (!this.ids.has(id)) return false;
    return true;
  }
}
