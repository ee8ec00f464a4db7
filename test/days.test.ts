import { describe, expect, it } from 'vitest';
import { addDays, dayStartMs, daysOf, endOfDayExclusive, MAX_RANGE_DAYS, rangeDayCount, utcDayOf, utcDaysAgo } from '../src/days.js';
import { rangeBuckets } from '../src/cache/tags.js';

describe('days and ranges (src/days.ts)', () => {
  it('counts inclusive days, across month, leap-day and year ends', () => {
    expect(rangeDayCount({ from: '2024-03-05', to: '2024-03-05' })).toBe(1);
    expect(rangeDayCount({ from: '2024-02-27', to: '2024-03-01' })).toBe(4); // 2024 has Feb 29
    expect(rangeDayCount({ from: '2023-12-31', to: '2024-01-01' })).toBe(2);
    // The longest range: two years and a day (2022-01-01 .. 2024-01-01).
    expect(rangeDayCount({ from: '2022-01-01', to: '2024-01-01' })).toBe(MAX_RANGE_DAYS);
  });

  it('shifts days in UTC and refuses what is not a day', () => {
    expect(addDays('2024-02-28', 1)).toBe('2024-02-29');
    expect(addDays('2024-03-01', -1)).toBe('2024-02-29');
    expect(addDays('2023-12-31', 1)).toBe('2024-01-01');
    expect(() => addDays('2024-2-1', 1)).toThrow(/YYYY-MM-DD/);
  });

  it('bounds a day by its start and the next start', () => {
    expect(new Date(dayStartMs('2024-03-05')).toISOString()).toBe('2024-03-05T00:00:00.000Z');
    expect(endOfDayExclusive('2024-03-05').toISOString()).toBe('2024-03-06T00:00:00.000Z');
    expect(utcDayOf(Date.parse('2024-03-05T23:59:59.999Z'))).toBe('2024-03-05');
    expect(utcDaysAgo(1, Date.parse('2024-03-01T12:00:00Z'))).toBe('2024-02-29');
  });

  it('lists every day of a range, and the cache buckets follow it', () => {
    expect(daysOf({ from: '2024-02-28', to: '2024-03-01' })).toEqual(['2024-02-28', '2024-02-29', '2024-03-01']);
    expect(daysOf({ from: '2024-03-02', to: '2024-03-01' })).toEqual([]);
    expect(rangeBuckets({ from: '2024-02-28', to: '2024-03-01' })).toEqual(['d:2024-02-28', 'd:2024-02-29', 'd:2024-03-01']);
    expect(rangeBuckets({ from: '2024-01-15', to: '2024-03-01' })).toEqual(['m:2024-01', 'm:2024-02', 'm:2024-03']);
  });
});
