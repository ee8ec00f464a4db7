import { describe, expect, it } from 'vitest';
import { addDays, dayStartMs, daysOf, endOfDayExclusive, MAX_RANGE_DAYS, rangeDayCount, utcDayOf, utcDaysAgo } from '../src/days.js';
import { rangeBuckets } from '../src/cache/tags.js';
import { parseDay } from '../src/schema/scalars/date.scalar.js';

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

describe('the Date scalar (parseDay) decides calendar days by arithmetic', () => {
  /** What a Date says of the string: not the shape, not a real day, or fine. */
  function byDate(value: string): 'shape' | 'calendar' | 'ok' {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return 'shape';
    const parsed = new Date(`${value}T00:00:00Z`);
    return Number.isNaN(parsed.getTime()) || parsed.toISOString().slice(0, 10) !== value ? 'calendar' : 'ok';
  }
  function byParseDay(value: string): 'shape' | 'calendar' | 'ok' {
    try {
      parseDay(value);
      return 'ok';
    } catch (error) {
      return (error as Error).message.includes('not a calendar day') ? 'calendar' : 'shape';
    }
  }

  it('agrees with Date on every day, month 0-13 and day 0-32 of 1890-2109, and on odd shapes', () => {
    const cases = ['0000-01-01', '9999-12-31', '2024-1-01', '20240101xx', '2024-01-0a', '２０２４-01-01', '2024/01/01', ' 2024-01-01'];
    for (let year = 1890; year < 2110; year += 1) {
      for (let month = 0; month <= 13; month += 1) {
        for (let day = 0; day <= 32; day += 1) cases.push(`${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`);
      }
    }
    const disagreements = cases.filter((value) => byParseDay(value) !== byDate(value));
    expect(disagreements).toEqual([]);
    expect(byParseDay('2024-02-29')).toBe('ok');
    expect(byParseDay('1900-02-29')).toBe('calendar');
  });
});

describe('daysOf lists a range day by day on the calendar', () => {
  it('agrees with stepping a Date by 24 h, across month, leap-day and year ends', () => {
    const byDate = (from: string, to: string) => {
      const days: string[] = [];
      for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T00:00:00Z`); t += 86_400_000)
        days.push(new Date(t).toISOString().slice(0, 10));
      return days;
    };
    for (const [from, to] of [
      ['2023-12-25', '2024-03-05'],
      ['2024-02-28', '2024-03-01'],
      ['2023-02-27', '2023-03-02'],
      ['1999-12-30', '2000-03-01'],
      ['2100-02-27', '2100-03-02'],
      ['2024-05-05', '2024-05-05'],
      ['2024-05-06', '2024-05-05'],
      ['2022-01-01', '2024-01-01'],
    ]) {
      expect(daysOf({ from, to }), `${from}..${to}`).toEqual(byDate(from, to));
    }
  });
});
