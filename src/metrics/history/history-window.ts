import { BadUserInputError } from '../../errors.js';

/** Seconds between two snapshots: every step of history is a whole number of them. */
export const SAMPLE_SECONDS = 10;
/** How far back history goes (the ring holds this much). */
export const HISTORY_MAX_MINUTES = 60;

/** Refuses a history window the ring cannot answer, naming the bad argument and the rule. */
export function checkHistoryWindow(minutes: number, stepSeconds: number): void {
  if (!Number.isInteger(minutes) || minutes < 1 || minutes > HISTORY_MAX_MINUTES) {
    throw new BadUserInputError(`minutes must be an integer from 1 to ${HISTORY_MAX_MINUTES}, got ${minutes}`, { argument: 'minutes' });
  }
  if (!Number.isInteger(stepSeconds) || stepSeconds % SAMPLE_SECONDS !== 0 || stepSeconds < SAMPLE_SECONDS) {
    throw new BadUserInputError(`stepSeconds must be a positive multiple of ${SAMPLE_SECONDS}, got ${stepSeconds}`, {
      argument: 'stepSeconds',
    });
  }
  if (stepSeconds > minutes * 60) {
    throw new BadUserInputError(`stepSeconds must be at most minutes × 60 (${minutes * 60}), got ${stepSeconds}`, {
      argument: 'stepSeconds',
    });
  }
}
