import { BadUserInputError } from '../../errors.js';

/** Opaque cursors over integer ids: base64url("c:<id>"). */
export function encodeCursor(id: number): string {
  return Buffer.from(`c:${id}`).toString('base64url');
}

export function decodeCursor(cursor: string | null | undefined, argument = 'after'): number | null {
  if (cursor === null || cursor === undefined) return null;
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const match = /^c:(\d{1,10})$/.exec(text);
  // Ids are int4: anything larger was never issued by this API.
  if (!match || Number(match[1]) > 2_147_483_647)
    throw new BadUserInputError(`${argument} is not a cursor this API issued: ${JSON.stringify(cursor)}`, { argument });
  return Number(match[1]);
}

export interface Page<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  totalCount: number;
}

/** `rows` holds up to first + 1 items: the extra one only says there is a next page. */
export function toPage<T extends { id: number }>(rows: T[], first: number, totalCount: number): Page<T> {
  const nodes = rows.slice(0, first);
  const edges = nodes.map((node) => ({ cursor: encodeCursor(node.id), node }));
  return {
    edges,
    pageInfo: { hasNextPage: rows.length > first, endCursor: edges.at(-1)?.cursor ?? null },
    totalCount,
  };
}

/** The same page with each node turned into what the caller hands on (e.g. a row into its GraphQL object); cursors stay. */
export function mapNodes<T, U>(page: Page<T>, map: (node: T) => U): Page<U> {
  return { ...page, edges: page.edges.map((edge) => ({ cursor: edge.cursor, node: map(edge.node) })) };
}
