import { describe, expect, it } from 'vitest';
import { createProgress, formatDuration, formatRate, type ProgressOptions } from '../src/progress.js';

/**
 * src/progress.ts with a fake stream (isTTY true or false) and an injected clock: no
 * sleeps. The heartbeat timer is captured and fired by hand.
 */

function setup(isTTY: boolean, extra: Partial<ProgressOptions> = {}) {
  const writes: string[] = [];
  let t = 1_000;
  let heartbeat: (() => void) | null = null;
  let cleared = false;
  const stream = { isTTY, columns: 200, write: (chunk: string) => writes.push(chunk) };
  const progress = createProgress({
    label: 'seed',
    stream,
    now: () => t,
    timers: {
      setInterval: (fn) => {
        heartbeat = fn;
        return 1;
      },
      clearInterval: () => {
        cleared = true;
      },
    },
    ...extra,
  });
  return {
    progress,
    writes,
    advance: (ms: number) => (t += ms),
    beat: () => heartbeat?.(),
    cleared: () => cleared,
    /** Everything written, as the lines a log file would hold. */
    lines: () => writes.join('').split('\n').filter(Boolean),
  };
}

describe('formatting', () => {
  it('formats durations and rates', () => {
    expect(formatDuration(400)).toBe('0.4 s');
    expect(formatDuration(42_000)).toBe('42 s');
    expect(formatDuration(185_000)).toBe('3m05s');
    expect(formatDuration(3_720_000)).toBe('1h02m');
    expect(formatDuration(NaN)).toBe('?');
    expect(formatRate(3.14)).toBe('3.1');
    expect(formatRate(48_200.4)).toBe('48,200');
  });
});

describe('createProgress without a TTY', () => {
  it('prints a plain line at most every 5 s, with done/total, rate and ETA', () => {
    const { progress, advance, lines } = setup(false, { total: 180, unit: 'days' });
    for (let i = 0; i < 9; i += 1) {
      advance(1_000);
      progress.tick(10, `${(i + 1) * 1000} rows`);
    }
    // 9 ticks over 9 s: the first tick prints, then the one 5 s after it.
    expect(lines()).toEqual([
      'seed: 10/180 days (5%), 10 days/s, ETA 17 s — 1000 rows',
      'seed: 60/180 days (33%), 10 days/s, ETA 12 s — 6000 rows',
    ]);
  });

  it('prints at every phase change, closes each phase with its time, and ends with the summary', () => {
    const { progress, advance, lines, cleared } = setup(false, { unit: 'days' });
    progress.phase('writing rows', 4, 'days');
    advance(2_000);
    progress.tick(4, '100 rows');
    advance(500);
    progress.phase('refreshing views', 2, 'views');
    advance(3_000);
    progress.tick(1, 'mv_a done');
    progress.tick(1, 'mv_b done');
    progress.done('done: 100 rows in 5.5 s');
    expect(lines()).toEqual([
      'seed: writing rows (4 days)…', // the tick 2 s later is inside the 5 s interval: not printed
      'seed: writing rows 4/4 days (100%), 1.6 days/s, took 2.5 s — 100 rows',
      'seed: refreshing views (2 views)…',
      'seed: refreshing views 2/2 views (100%), 0.7 views/s, took 3.0 s — mv_b done',
      'seed: done: 100 rows in 5.5 s',
    ]);
    expect(cleared()).toBe(true);
  });

  it('prints a line from the heartbeat when nothing ticks (a long statement)', () => {
    const { progress, advance, beat, lines } = setup(false);
    progress.phase('refreshing views', 6, 'views');
    advance(4_000);
    beat(); // under 5 s since the phase line: nothing
    advance(2_000);
    beat();
    expect(lines()).toEqual(['seed: refreshing views (6 views)…', 'seed: refreshing views 0/6 views (0%), 6.0 s elapsed']);
  });

  it('can leave out the rate (units that are seconds themselves)', () => {
    const { progress, advance, lines } = setup(false, { total: 10, unit: 's', showRate: false });
    advance(1_000);
    progress.tick(1, 'load ETA of the run 2m00s');
    expect(lines()).toEqual(['seed: 1/10 s (10%), ETA 9.0 s — load ETA of the run 2m00s']);
  });

  it('abort ends without a summary, and nothing is written afterwards', () => {
    const { progress, advance, lines, cleared } = setup(false, { total: 10 });
    advance(1_000);
    progress.tick(1);
    progress.abort();
    advance(10_000);
    progress.tick(1);
    progress.done('never');
    expect(lines()).toEqual(['seed: 1/10 items (10%), 1.0 items/s, ETA 9.0 s']);
    expect(cleared()).toBe(true);
  });

  it('without a total shows the count and elapsed time, and a default summary', () => {
    const { progress, advance, lines } = setup(false, { unit: 'requests' });
    advance(2_000);
    progress.tick(50);
    advance(8_000);
    progress.done();
    expect(lines()).toEqual(['seed: 50 requests, 25 requests/s, 2.0 s elapsed', 'seed: done, 50 requests in 10 s']);
  });
});

describe('createProgress on a TTY', () => {
  it('redraws one bar in place, never more than once per 100 ms', () => {
    const { progress, advance, writes } = setup(true, { total: 100, unit: 'days' });
    for (let i = 0; i < 100; i += 1) {
      advance(10); // a tick every 10 ms for 1 s
      progress.tick(1);
    }
    expect(writes.length).toBe(10);
    for (const chunk of writes) {
      expect(chunk.startsWith('\r')).toBe(true);
      expect(chunk.endsWith('\x1b[K')).toBe(true);
      expect(chunk).not.toContain('\n');
    }
    expect(writes[0]).toBe(`\rseed: [${'.'.repeat(24)}] 1/100 days (1%), 100 days/s, ETA 1.0 s\x1b[K`);
    expect(writes[5]).toContain('[############............] 51/100 days (51%)');
  });

  it('keeps finished phases above the bar and ends with the summary on its own line', () => {
    const { progress, advance, writes } = setup(true);
    progress.phase('writing rows', 2, 'days');
    advance(200);
    progress.tick(2, '10 rows');
    progress.phase('refreshing views', 1, 'views'); // within 100 ms: drawn at the next tick
    advance(50);
    progress.tick(1);
    advance(150);
    progress.done('done: 10 rows');
    const screen = writes.join('');
    // What a terminal shows: each \r returns to the line start, \x1b[K clears the rest.
    const shown = screen
      .split('\n')
      .map((line) => line.split('\r').pop()?.replaceAll('\x1b[K', ''))
      .filter(Boolean);
    expect(shown).toEqual([
      'seed: writing rows 2/2 days (100%), 10 days/s, took 0.2 s — 10 rows',
      'seed: refreshing views 1/1 views (100%), 5.0 views/s, took 0.2 s',
      'seed: done: 10 rows',
    ]);
    const times = writes.length;
    expect(times).toBeLessThanOrEqual(4);
  });

  it('abort ends the bar line so the error message starts on its own', () => {
    const { progress, advance, writes } = setup(true, { total: 5 });
    advance(200);
    progress.tick(1);
    progress.abort();
    expect(writes.at(-1)).toBe('\n');
  });

  it('cuts the line to the terminal width', () => {
    const writes: string[] = [];
    const progress = createProgress({
      label: 'bench',
      total: 10,
      stream: { isTTY: true, columns: 40, write: (c: string) => writes.push(c) },
      now: () => 5_000,
      timers: null,
    });
    progress.tick(1, 'a very long detail that would wrap on a narrow terminal');
    const line = writes[0].replace('\r', '').replace('\x1b[K', '');
    expect(line.length).toBe(39);
    expect(line.endsWith('…')).toBe(true);
  });
});
