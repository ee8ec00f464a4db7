/**
 * The number the `count` ASCII digits of `text` from `at` spell, or -1 when one of them is
 * not a digit 0-9 (or lies past the end). For the hot parsers of day strings, timestamps and
 * ids, where a regular expression plus Number() per value showed in profiles.
 */
export function asciiDigits(text: string, at: number, count: number): number {
  let value = 0;
  for (let i = at; i < at + count; i += 1) {
    const digit = text.charCodeAt(i) - 48;
    if (!(digit >= 0 && digit <= 9)) return -1;
    value = value * 10 + digit;
  }
  return value;
}
