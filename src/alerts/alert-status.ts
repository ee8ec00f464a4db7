import type { AlertOp } from './alert-rules.js';

export type AlertStateName = 'INACTIVE' | 'PENDING' | 'FIRING' | 'RESOLVED';

/** One rule with its current state: what Metrics.alerts shows and what the evaluator carries from one evaluation to the next. */
export interface AlertStatus {
  readonly name: string;
  readonly metric: string;
  readonly op: AlertOp;
  readonly threshold: number;
  readonly forSeconds: number;
  readonly state: AlertStateName;
  /** Last evaluated value; null = no data. */
  readonly value: number | null;
  /** When the current state began; null while INACTIVE since start. */
  readonly since: Date | null;
  readonly lastFiredAt: Date | null;
  readonly lastResolvedAt: Date | null;
  readonly summary: string;
}

/** One state change of one rule (Subscription.alertEvents, the log line, the webhook). */
export interface AlertTransition {
  readonly name: string;
  readonly metric: string;
  readonly op: AlertOp;
  readonly threshold: number;
  readonly state: AlertStateName;
  readonly previousState: AlertStateName;
  readonly value: number | null;
  readonly at: Date;
  readonly summary: string;
}
