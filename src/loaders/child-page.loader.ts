import { sql, type RawBuilder } from 'kysely';
import type { RequestContext } from '../context.js';
import { toPage, type Page } from '../db/lists/cursor.js';

export interface ChildPageArgs {
  first: number;
  after: number | null;
}

/**
 * A connection per parent (Category.products, Customer.orders) for N parents in one
 * statement: window functions number each parent's children after the cursor and
 * count all of them, and the outer query keeps first + 1 per parent.
 *
 * `source` selects rows with a `parent_id` column and an integer `id`.
 */
export function childPageLoader<Row extends { id: number }, Node extends { id: number }>(
  name: string,
  source: (parentIds: number[], ctx: RequestContext) => RawBuilder<unknown>,
  order: 'asc' | 'desc',
  map: (row: Row) => Node,
) {
  const direction = order === 'asc' ? sql`ASC` : sql`DESC`;
  return (ctx: RequestContext, parentId: number, args: ChildPageArgs): Promise<Page<Node>> =>
    ctx.loaders
      .get<number, Page<Node>>(name, JSON.stringify(args), async (parentIds) => {
        const cursorFilter = args.after === null ? sql`TRUE` : order === 'asc' ? sql`id > ${args.after}` : sql`id < ${args.after}`;
        const { rows } = await sql<Row & { parent_id: number; total_count: number }>`
          SELECT * FROM (
            SELECT t.*, row_number() OVER (PARTITION BY parent_id ORDER BY id ${direction}) AS position
              FROM (
                SELECT s.*, count(*) OVER (PARTITION BY parent_id)::int AS total_count
                  FROM (${source([...parentIds], ctx)}) s
              ) t
             WHERE ${cursorFilter}
          ) numbered
          WHERE position <= ${args.first + 1}
          ORDER BY parent_id, id ${direction}`.execute(ctx.readDb);
        const grouped = new Map<number, typeof rows>();
        for (const row of rows) grouped.set(row.parent_id, [...(grouped.get(row.parent_id) ?? []), row]);
        return parentIds.map((id) => {
          const children = grouped.get(id) ?? [];
          return toPage(children.map(map), args.first, children[0]?.total_count ?? 0);
        });
      })
      .load(parentId);
}
