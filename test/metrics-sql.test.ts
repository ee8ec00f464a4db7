import { describe, expect, it } from 'vitest';
import { normalizeSql } from '../src/metrics/sql-normalizer.js';

describe('normalizeSql', () => {
  const cases: Array<[string, string]> = [
    ["select pg_sleep(0.3), 'secret-literal'", 'select pg_sleep(?), ?'],
    [
      `select "o"."id" from "orders" as "o"\n  where "o"."store_id" = any($1::int[]) and "o"."total" > $2`,
      'select "o"."id" from "orders" as "o" where "o"."store_id" = any(?::int[]) and "o"."total" > ?',
    ],
    ['select * from t where id in ($1, $2, $3) and code in (1, 2)', 'select * from t where id in (?) and code in (?)'],
    ["insert into t (a, b) values ($1, 'x'), ($3, 'y'), ($5, 'z')", 'insert into t (a, b) values (?)'],
    [
      "select E'it''s', $body$ secret $body$, $$x$$, ARRAY[1, 2, 3], -1.5e3 -- note\nfrom t1 /* c */ limit 10",
      'select ?, ?, ?, ARRAY[?], -? from t1 limit ?',
    ],
    ['select "col 1", mv_daily_revenue, x2 from "t$1"', 'select "col 1", mv_daily_revenue, x2 from "t$1"'],
  ];
  for (const [sql, expected] of cases) {
    it(JSON.stringify(sql.slice(0, 50)), () => expect(normalizeSql(sql)).toBe(expected));
  }

  it('gives one text to statements that differ only in values', () => {
    expect(normalizeSql("select 1 from x where a = 'A' and b in (1,2)")).toBe(
      normalizeSql("select 7 from x where a = 'B''C' and b in (3)"),
    );
  });
});
