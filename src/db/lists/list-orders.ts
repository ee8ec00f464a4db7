import type { Db } from '../database.js';
import type { DayRange } from '../queries/analytics-types.js';
import type { OrderRow } from '../rows.js';
import type { Page } from './cursor.js';
import { keysetPage } from './keyset-page.js';
import { dayStartMs, endOfDayExclusive } from '../../days.js';

/** Orders newest first (id descending), within stores (null = all) and an optional UTC day range. */
export async function listOrders(
  db: Db,
  opts: { first: number; after: number | null; storeIds: readonly number[] | null; range: DayRange | null },
): Promise<Page<OrderRow>> {
  const filtered = db
    .selectFrom('orders')
    .$if(opts.storeIds !== null, (q) => q.where('store_id', '=', (eb) => eb.fn.any(eb.val([...(opts.storeIds ?? [])]))))
    .$if(opts.range !== null, (q) =>
      q
        .where('placed_at', '>=', new Date(dayStartMs(opts.range?.from ?? '')))
        .where('placed_at', '<', endOfDayExclusive(opts.range?.to ?? '')),
    );
  return keysetPage(filtered, { ...opts, descending: true });
}
