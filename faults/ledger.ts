import type { Pool } from 'pg';

/**
 * What the load wrote: every order and event sent, and those the API answered as
 * accepted. After a scenario, `verify` reads Postgres and counts accepted writes that
 * are missing (lost), writes stored twice (duplicated) and orders whose rows are not
 * all there (half-written: fewer order_items rows than lines sent, or `orders.item_count`
 * differing from their total quantity).
 * Keys and ids carry a per-run prefix, so runs on one database never mix.
 */
export class WriteLedger {
  private orderSerial = 0;
  private eventSerial = 0;
  /** idempotency key → item lines sent. */
  private readonly ordersSent = new Map<string, number>();
  /** idempotency key → order id answered. */
  readonly acceptedOrders = new Map<string, string>();
  readonly acceptedEventIds = new Set<string>();
  eventsSentCount = 0;

  constructor(readonly prefix: string) {}

  orderSent(itemLines: number): string {
    this.orderSerial += 1;
    const key = `${this.prefix}-o${this.orderSerial}`;
    this.ordersSent.set(key, itemLines);
    return key;
  }

  orderAccepted(key: string, id: string): void {
    this.acceptedOrders.set(key, id);
  }

  eventSent(): string {
    this.eventSerial += 1;
    this.eventsSentCount += 1;
    return `${this.prefix}-e${this.eventSerial}`;
  }

  eventsAccepted(ids: readonly string[]): void {
    for (const id of ids) this.acceptedEventIds.add(id);
  }

  get acceptedWrites(): number {
    return this.acceptedOrders.size + this.acceptedEventIds.size;
  }

  async verify(pool: Pool): Promise<LedgerCheck> {
    // item_count is the order's total quantity; its lines are the order_items rows.
    const orders = await pool.query<{ key: string; id: string; item_count: number; rows: string; quantity: string | null }>(
      `SELECT o.idempotency_key AS key, o.id::text AS id, o.item_count,
              (SELECT count(*) FROM order_items i WHERE i.order_id = o.id) AS rows,
              (SELECT sum(quantity) FROM order_items i WHERE i.order_id = o.id) AS quantity
         FROM orders o WHERE o.idempotency_key LIKE $1`,
      [`${this.prefix}-o%`],
    );
    const storedByKey = new Map<string, string[]>();
    let halfWritten = 0;
    for (const row of orders.rows) {
      const ids = storedByKey.get(row.key);
      if (ids) ids.push(row.id);
      else storedByKey.set(row.key, [row.id]);
      const lines = this.ordersSent.get(row.key);
      if (Number(row.quantity ?? 0) !== row.item_count || Number(row.rows) !== lines) halfWritten += 1;
    }
    let lost = 0;
    for (const [key, id] of this.acceptedOrders) if (!storedByKey.get(key)?.includes(id)) lost += 1;
    let duplicated = [...storedByKey.values()].reduce((sum, ids) => sum + ids.length - 1, 0);

    const events = await pool.query<{ total: string; distinct_ids: string; accepted_found: string }>(
      `SELECT count(*) AS total, count(DISTINCT id) AS distinct_ids, count(*) FILTER (WHERE id = ANY($2)) AS accepted_found
         FROM events WHERE id LIKE $1`,
      [`${this.prefix}-e%`, [...this.acceptedEventIds]],
    );
    const e = events.rows[0];
    lost += this.acceptedEventIds.size - Number(e.accepted_found);
    duplicated += Number(e.total) - Number(e.distinct_ids);
    return { accepted: this.acceptedWrites, stored: orders.rowCount! + Number(e.total), lost, duplicated, halfWritten };
  }
}

export interface LedgerCheck {
  accepted: number;
  /** Rows of this run in the database (may exceed `accepted`: a write can commit and its answer be lost). */
  stored: number;
  lost: number;
  duplicated: number;
  halfWritten: number;
}
