/** UTC day strings relative to now, as the API takes them. */
export function utcDaysAgo(days: number): string {
  return new Date(Date.now() - days * 86_400_000).toISOString().slice(0, 10);
}

/** The last `days` days up to and including today. */
export function lastDays(days: number): { from: string; to: string } {
  return { from: utcDaysAgo(days - 1), to: utcDaysAgo(0) };
}
