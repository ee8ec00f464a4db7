import { describe, expect, it } from 'vitest';
import {
  formatAge,
  formatBytes,
  formatClock,
  formatCount,
  formatMs,
  formatPercent,
  formatRate,
  formatRatio,
  shortId,
} from '../web/dashboard/format.js';

/** The dashboard's number formatting (web/dashboard/format.ts): units, significant digits, and a dash for no data. */
describe('dashboard number formatting', () => {
  it('prints durations in µs, ms, s and min with up to three significant digits', () => {
    expect(formatMs(0)).toBe('0 ms');
    expect(formatMs(0.458)).toBe('458 µs');
    expect(formatMs(1.234)).toBe('1.23 ms');
    expect(formatMs(12.345)).toBe('12.3 ms');
    expect(formatMs(162.4)).toBe('162 ms');
    expect(formatMs(1250)).toBe('1.25 s');
    expect(formatMs(150_000)).toBe('2.5 min');
  });

  it('prints ratios and percentages with one decimal past 10 % and never rounds a miss up to 100 %', () => {
    expect(formatRatio(0.9876)).toBe('98.8 %');
    expect(formatRatio(1)).toBe('100 %');
    expect(formatRatio(0)).toBe('0 %');
    expect(formatRatio(0.0561)).toBe('5.61 %');
    expect(formatRatio(0.99996)).toBe('99.9 %');
    expect(formatRatio(0.0000004)).toBe('<0.01 %');
    expect(formatPercent(12.345)).toBe('12.3 %');
  });

  it('prints bytes in decimal units and counts with k and M', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1710)).toBe('1.71 kB');
    expect(formatBytes(1_500_000)).toBe('1.5 MB');
    expect(formatBytes(215_000_000)).toBe('215 MB');
    expect(formatBytes(3.2e9)).toBe('3.2 GB');
    expect(formatCount(950)).toBe('950');
    expect(formatCount(12_345)).toBe('12.3k');
    expect(formatCount(2_500_000)).toBe('2.5M');
    expect(formatCount(0.96)).toBe('0.96');
    expect(formatRate(3.4)).toBe('3.4 req/s');
    expect(formatRate(1234)).toBe('1.23k req/s');
  });

  it('prints ages in the largest units that matter and clock times as HH:MM:SS', () => {
    expect(formatAge(45.7)).toBe('45 s');
    expect(formatAge(12 * 60 + 5)).toBe('12 min');
    expect(formatAge(3 * 3600 + 5 * 60)).toBe('3 h 5 min');
    expect(formatAge(2 * 86400)).toBe('2 d');
    expect(formatAge(2 * 86400 + 4 * 3600 + 7)).toBe('2 d 4 h');
    expect(formatClock(new Date(2026, 10, 30, 9, 5, 7))).toBe('09:05:07');
  });

  it('shows a dash for missing values, never "NaN" or "null"', () => {
    for (const format of [formatMs, formatRatio, formatPercent, formatBytes, formatCount, formatRate, formatAge])
      for (const missing of [null, undefined, Number.NaN]) expect(format(missing)).toBe('–');
    expect(formatClock('not a date')).toBe('–');
  });

  it('cuts long job ids to their tail', () => {
    expect(shortId('probe-d8f5cecd-4bf1-48e1-9a06-eb59f264c75a')).toBe('…f264c75a');
    expect(shortId('42')).toBe('42');
  });
});
