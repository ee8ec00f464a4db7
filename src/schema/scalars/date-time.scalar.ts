import { GraphQLScalarType } from 'graphql';
import { DateTimeResolver } from 'graphql-scalars';
import { asciiDigits } from '../../ascii-digits.js';
import { daysInMonth } from '../../days.js';

/**
 * The time of `text` when it is exactly YYYY-MM-DDThh:mm:ssZ or YYYY-MM-DDThh:mm:ss.sssZ
 * with a real calendar day and a time of 00:00:00 to 23:59:59 (the shape clients and
 * toISOString() send), else null. Every such string is one graphql-scalars' DateTime
 * accepts (its RFC 3339 regex, Date.parse, day-of-month and time checks), and it then
 * returns new Date(text), which is this time; any other string is left to that
 * implementation, which accepts or refuses it with its own message.
 */
export function canonicalUtcTime(text: string): number | null {
  const length = text.length;
  if (length !== 20 && length !== 24) return null;
  if (text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45 || text.charCodeAt(10) !== 84) return null; // - - T
  if (text.charCodeAt(13) !== 58 || text.charCodeAt(16) !== 58 || text.charCodeAt(length - 1) !== 90) return null; // : : Z
  const millis = length === 24 ? (text.charCodeAt(19) === 46 ? asciiDigits(text, 20, 3) : -1) : 0; // .sss
  const year = asciiDigits(text, 0, 4);
  const month = asciiDigits(text, 5, 2);
  const day = asciiDigits(text, 8, 2);
  const hour = asciiDigits(text, 11, 2);
  const minute = asciiDigits(text, 14, 2);
  const second = asciiDigits(text, 17, 2);
  if (millis < 0 || year < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59) return null;
  if (second < 0 || second > 59) return null;
  if (day > daysInMonth(year, month)) return null;
  // Date.UTC reads years 0-99 as 1900-1999; those few go through the string parser.
  return year >= 100 ? Date.UTC(year, month - 1, day, hour, minute, second, millis) : new Date(text).getTime();
}

const base = DateTimeResolver.toConfig();

/**
 * graphql-scalars' DateTime, with a shortcut for variables in the canonical UTC shape:
 * an ingestEvents batch coerces 1,000 of them, and the general check (upper-casing,
 * three regexes, Date.parse, substrings and a second parse per value) was most of that
 * coercion's time. Same name, description, output and literal parsing; the same Date
 * for every value (test/ingest.test.ts compares the two).
 */
export const DateTimeScalar = new GraphQLScalarType<Date, unknown>({
  ...base,
  parseValue(value) {
    const time = typeof value === 'string' ? canonicalUtcTime(value) : null;
    return time === null ? (base.parseValue!(value) as Date) : new Date(time);
  },
});
