/** `npm run faults -- [--scenario a,b] [--short] [--rate N] [--list]`: flags, validated. */
export interface FaultOptions {
  scenarios: string[] | null;
  short: boolean;
  list: boolean;
  /** Print per-second buckets of each scenario's load. */
  timeline: boolean;
  /**
   * Requests per second of the steady load. Default 150: about half of what the mix can
   * take on a 2-core machine that also runs Postgres, Redis and this harness (at 300 req/s
   * its p99 is already ~200 ms before any fault, and a cold restart saturates it).
   */
  rate: number;
}

export class UsageError extends Error {}

export function parseFaultOptions(args: readonly string[], known: readonly string[]): FaultOptions {
  const options: FaultOptions = { scenarios: null, short: false, list: false, timeline: false, rate: 0 };
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i];
    const value = () => {
      const next = args[(i += 1)];
      if (next === undefined || next.startsWith('--')) throw new UsageError(`${arg} needs a value`);
      return next;
    };
    if (arg === '--short') options.short = true;
    else if (arg === '--list') options.list = true;
    else if (arg === '--timeline') options.timeline = true;
    else if (arg === '--scenario') {
      const names = value().split(',').filter(Boolean);
      const unknown = names.filter((name) => !known.includes(name));
      if (unknown.length) throw new UsageError(`unknown scenario ${unknown.join(', ')}; known: ${known.join(', ')}`);
      options.scenarios = names;
    } else if (arg === '--rate') {
      const rate = Number(value());
      if (!Number.isInteger(rate) || rate < 10 || rate > 5_000)
        throw new UsageError('--rate expects an integer from 10 to 5000 (requests/s)');
      options.rate = rate;
    } else
      throw new UsageError(`unknown flag ${arg}; usage: npm run faults -- [--scenario a,b] [--short] [--rate N] [--timeline] [--list]`);
  }
  options.rate ||= 150;
  return options;
}
