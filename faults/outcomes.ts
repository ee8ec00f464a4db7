import type { EntryProcess } from '../test/helpers/entry-process.js';
import { logLinesOfRequest } from './stack.js';
import type { RequestOutcome, RunningLoad } from './load.js';

/** Questions scenarios ask of a load's outcomes; times are epoch ms (Date.now()). */

/** The epoch time a request was sent. */
export const sentAtEpoch = (load: Pick<RunningLoad, 'startedAt'>, outcome: RequestOutcome) => load.startedAt + outcome.sentAt;

/**
 * ms from `faultEndedAt` to full service: the send time of the last failed request after
 * it, or 0 when nothing failed after it.
 */
export function recoveryMs(
  load: RunningLoad,
  faultEndedAt: number,
  failed: (o: RequestOutcome) => boolean = (o) => o.outcome !== 'ok',
): number {
  let lastFailure = faultEndedAt;
  for (const outcome of load.outcomes) if (failed(outcome)) lastFailure = Math.max(lastFailure, sentAtEpoch(load, outcome));
  return lastFailure - faultEndedAt;
}

/** Outcomes of requests sent in [from, to). */
export function sentBetween(load: RunningLoad, from: number, to: number): RequestOutcome[] {
  return load.outcomes.filter((o) => {
    const at = sentAtEpoch(load, o);
    return at >= from && at < to;
  });
}

export const maxLatency = (outcomes: readonly RequestOutcome[]) => outcomes.reduce((max, o) => Math.max(max, o.latencyMs), 0);

/** Failure codes other than those allowed, with counts (empty: none). */
export function unexpectedFailures(outcomes: readonly RequestOutcome[], allowed: readonly string[] = []): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const o of outcomes) if (o.outcome !== 'ok' && !allowed.includes(o.outcome)) counts[o.outcome] = (counts[o.outcome] ?? 0) + 1;
  return counts;
}

/** The unexpected failures with the first answer of each: a failed check's message. */
export function describeUnexpected(load: RunningLoad, counts: Record<string, number>, api?: EntryProcess): string {
  return Object.entries(counts)
    .map(([code, n]) => {
      const sample = load.failureSamples.get(code);
      const requestId = sample && /"requestId":"([\w-]+)"/.exec(sample)?.[1];
      const logged = api && requestId ? ` log: ${logLinesOfRequest(api, requestId).join(' | ')}` : '';
      return `${code}×${n}${sample ? ` (e.g. ${sample})${logged}` : ''}`;
    })
    .join('; ');
}
