import { describe, expect, it } from 'vitest';
import { parseFaultOptions, UsageError } from '../faults/options.js';

/** `npm run faults` flags: what CI and a person type, validated before anything starts. */
const KNOWN = ['redis-kill', 'soak'];

describe('npm run faults flags', () => {
  it('defaults: every scenario, full run, 150 req/s', () => {
    expect(parseFaultOptions([], KNOWN)).toEqual({ scenarios: null, short: false, list: false, timeline: false, rate: 150 });
  });

  it('reads --short, --timeline, --list, --rate and a scenario list', () => {
    expect(parseFaultOptions(['--short', '--timeline', '--rate', '300', '--scenario', 'soak,redis-kill'], KNOWN)).toEqual({
      scenarios: ['soak', 'redis-kill'],
      short: true,
      list: false,
      timeline: true,
      rate: 300,
    });
    expect(parseFaultOptions(['--list'], KNOWN).list).toBe(true);
  });

  it.each([
    [['--scenario', 'redis-kil'], /unknown scenario redis-kil; known: redis-kill, soak/],
    [['--scenario'], /--scenario needs a value/],
    [['--rate', '5'], /--rate expects an integer from 10 to 5000/],
    [['--rate', '150.5'], /--rate expects an integer/],
    [['--rate', '--short'], /--rate needs a value/],
    [['--fast'], /unknown flag --fast; usage: npm run faults/],
  ])('%j is refused: %s', (args, message) => {
    expect(() => parseFaultOptions(args, KNOWN)).toThrow(UsageError);
    expect(() => parseFaultOptions(args, KNOWN)).toThrow(message);
  });
});
