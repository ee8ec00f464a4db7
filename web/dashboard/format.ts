/**
 * Numbers as a person reads them on the dashboard: a unit, a few significant digits, and
 * a dash for "no data" (null, undefined, NaN). Pure functions, no DOM: test/dashboard-format.test.ts.
 */

const NO_DATA = '–';

const missing = (value: number | null | undefined): value is null | undefined =>
  value === null || value === undefined || Number.isNaN(value);

/** Up to three significant digits, no trailing zeros: 0.123, 1.23, 12.3, 123, 1234. */
function compact(value: number): string {
  const magnitude = Math.abs(value);
  if (magnitude === 0) return '0';
  if (magnitude >= 100) return String(Math.round(value));
  const digits = magnitude >= 10 ? 1 : magnitude >= 1 ? 2 : 3;
  return String(Number(value.toFixed(digits)));
}

/** A duration in milliseconds: "850 µs", "12.3 ms", "1.25 s", "2.5 min". */
export function formatMs(ms: number | null | undefined): string {
  if (missing(ms)) return NO_DATA;
  const magnitude = Math.abs(ms);
  if (magnitude > 0 && magnitude < 1) return `${compact(ms * 1000)} µs`;
  if (magnitude < 1000) return `${compact(ms)} ms`;
  if (magnitude < 60_000) return `${compact(ms / 1000)} s`;
  return `${compact(ms / 60_000)} min`;
}

/** A ratio 0..1 as a percentage: 0.9876 → "98.8 %", 1 → "100 %", 0.00004 → "<0.01 %". */
export function formatRatio(ratio: number | null | undefined): string {
  if (missing(ratio)) return NO_DATA;
  return formatPercent(ratio * 100);
}

/** A value already in percent: 12.345 → "12.3 %". */
export function formatPercent(percent: number | null | undefined): string {
  if (missing(percent)) return NO_DATA;
  if (percent > 0 && percent < 0.01) return '<0.01 %';
  if (percent >= 99.95 && percent < 100) return '99.9 %';
  return `${percent >= 10 ? String(Number(percent.toFixed(1))) : compact(percent)} %`;
}

const BYTE_UNITS = ['B', 'kB', 'MB', 'GB', 'TB'];

/** Bytes in decimal units (as the page's MB labels and Redis's INFO humans read them): 1_500_000 → "1.5 MB". */
export function formatBytes(bytes: number | null | undefined): string {
  if (missing(bytes)) return NO_DATA;
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1000 && unit < BYTE_UNITS.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${unit === 0 ? String(Math.round(value)) : compact(value)} ${BYTE_UNITS[unit]}`;
}

/** A count with k/M past a thousand: 950 → "950", 12_345 → "12.3k", 2_500_000 → "2.5M". */
export function formatCount(count: number | null | undefined): string {
  if (missing(count)) return NO_DATA;
  const magnitude = Math.abs(count);
  if (magnitude < 1000) return Number.isInteger(count) ? String(count) : compact(count);
  if (magnitude < 1_000_000) return `${compact(count / 1000)}k`;
  return `${compact(count / 1_000_000)}M`;
}

/** Requests per second: "0.5 req/s", "1.2k req/s". */
export function formatRate(perSecond: number | null | undefined, unit = 'req/s'): string {
  if (missing(perSecond)) return NO_DATA;
  return `${formatCount(perSecond)} ${unit}`;
}

/** An uptime or age in seconds: "45 s", "12 min", "3 h 5 min", "2 d 4 h". */
export function formatAge(seconds: number | null | undefined): string {
  if (missing(seconds)) return NO_DATA;
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s} s`;
  const minutes = Math.floor(s / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return minutes % 60 ? `${hours} h ${minutes % 60} min` : `${hours} h`;
  const days = Math.floor(hours / 24);
  return hours % 24 ? `${days} d ${hours % 24} h` : `${days} d`;
}

/** A wall-clock time of day, 24 h, in the browser's time zone: "14:03:27". */
export function formatClock(at: Date | string | number): string {
  const date = at instanceof Date ? at : new Date(at);
  if (Number.isNaN(date.getTime())) return NO_DATA;
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}`;
}

/** A long job id (a UUID after the kind) cut to its last 8 characters for a narrow column: the full id goes in a title. */
export function shortId(id: string): string {
  return id.length > 16 ? `…${id.slice(-8)}` : id;
}
