import type { LoadFigures } from './load.js';
import type { LedgerCheck } from './ledger.js';
import type { FaultStack } from './stack.js';

/**
 * A fault scenario: starts its processes on the run's stack, loads them, injects one
 * fault, and returns its numbers and verdict. `short` is the CI cut: fewer seconds and
 * repetitions, correctness asserted with generous bounds (nothing lost, nothing cut, no
 * crash, recovery within 30 s); the full run checks the goals.
 */
export interface Scenario {
  name: string;
  /** The goal, as one line for `--list` and the README. */
  goal: string;
  /** Part of `--short` (CI). */
  inShort: boolean;
  run(stack: FaultStack, context: ScenarioContext): Promise<ScenarioOutcome>;
}

export interface ScenarioContext {
  short: boolean;
  log: (line: string) => void;
  /** The load rate of this run, requests/s. */
  rate: number;
}

export interface ScenarioOutcome {
  load: LoadFigures | null;
  ledger: LedgerCheck | null;
  /** ms from the end of the fault to full service (null: not applicable). */
  recoverMs: number | null;
  /** Scenario-specific figures, printed as name=value. */
  figures: Record<string, string | number>;
  verdict: Verdict;
}

/**
 * Checks of one scenario. `require` holds in every run (correctness); `goal` is the
 * issue's number, enforced by the full run and only reported by `--short`, whose shorter,
 * CI-sized runs on a shared machine are not where speed goals are judged.
 */
export class Verdict {
  readonly failures: string[] = [];
  readonly missedGoals: string[] = [];

  constructor(private readonly short: boolean) {}

  require(ok: boolean, what: string): void {
    if (!ok) this.failures.push(what);
  }

  goal(ok: boolean, what: string): void {
    if (ok) return;
    if (this.short) this.missedGoals.push(what);
    else this.failures.push(what);
  }

  get passed(): boolean {
    return this.failures.length === 0;
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
