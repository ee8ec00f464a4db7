/**
 * One text per statement shape, with no value in it: string and dollar-quoted
 * literals, numbers and `$n` parameters become `?`, lists of them (IN (…), ARRAY[…],
 * VALUES rows) collapse to one, comments go and whitespace is one space. Slow-query
 * rows and log lines are keyed by this, so they never carry customer data.
 */
const TOKENS = new RegExp(
  [
    String.raw`(?<comment>--[^\n]*|/\*[\s\S]*?\*/)`,
    String.raw`(?<string>[eEbBxXnN]?'(?:[^']|'')*'(?:\s*'(?:[^']|'')*')*)`,
    String.raw`(?<dollar>\$(?<tag>[A-Za-z_]\w*)?\$[\s\S]*?\$\k<tag>\$)`,
    String.raw`(?<ident>"(?:[^"]|"")*"|[A-Za-z_][\w$]*)`,
    String.raw`(?<param>\$\d+)`,
    String.raw`(?<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)`,
    String.raw`(?<space>\s+)`,
  ].join('|'),
  'g',
);

const LIST = /\(\s*\?(?:\s*,\s*\?)+\s*\)/g;
const ARRAY = /\bARRAY\[\s*\?(?:\s*,\s*\?)*\s*\]/gi;
const ROWS = /(\(\?(?:, \?)*\))(?:\s*,\s*\1)+/g;

export function normalizeSql(text: string): string {
  const replaced = text.replace(TOKENS, (match, ...rest) => {
    const groups = rest[rest.length - 1] as Record<string, string | undefined>;
    if (groups.comment !== undefined) return ' ';
    if (groups.string !== undefined || groups.dollar !== undefined || groups.param !== undefined || groups.number !== undefined) return '?';
    if (groups.space !== undefined) return ' ';
    return match;
  });
  return replaced
    .replace(/\s+/g, ' ')
    .replace(/\s*,\s*/g, ', ')
    .replace(/\(\s+/g, '(')
    .replace(/\s+\)/g, ')')
    .replace(ROWS, '$1')
    .replace(LIST, '(?)')
    .replace(ARRAY, 'ARRAY[?]')
    .trim();
}
