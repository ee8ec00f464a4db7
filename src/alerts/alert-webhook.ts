import type { Logger } from '../logger.js';
import type { AlertStateName, AlertTransition } from './alert-status.js';

/** The JSON POSTed to ALERT_WEBHOOK_URL for one transition to FIRING or RESOLVED (docs/api.md). */
export interface AlertWebhookBody {
  /** The rule's name. */
  alert: string;
  state: AlertStateName;
  previousState: AlertStateName;
  value: number | null;
  threshold: number;
  /** ISO 8601, when the evaluator saw the transition. */
  at: string;
  summary: string;
  /** The instance whose evaluator saw it. */
  instance: string;
}

/** The data of a sendAlertWebhook job: where to and what (the URL is the one configured when the transition happened). */
export interface AlertWebhookJob {
  url: string;
  body: AlertWebhookBody;
}

/** A receiver that neither answers nor fails within this is a failed attempt (retried with backoff). */
export const WEBHOOK_TIMEOUT_MS = 10_000;

/** Only these reach the webhook: PENDING and a PENDING that went back to INACTIVE are not worth waking anyone. */
export function notifiesWebhook(transition: AlertTransition): boolean {
  return transition.state === 'FIRING' || transition.state === 'RESOLVED';
}

export function webhookBodyOf(transition: AlertTransition, instance: string): AlertWebhookBody {
  return {
    alert: transition.name,
    state: transition.state,
    previousState: transition.previousState,
    value: transition.value,
    threshold: transition.threshold,
    at: transition.at.toISOString(),
    summary: transition.summary,
    instance,
  };
}

/** POSTs the body; throws on a network error, a timeout or any answer other than 2xx (the job then retries). */
export async function postAlertWebhook(job: AlertWebhookJob, timeoutMs = WEBHOOK_TIMEOUT_MS): Promise<{ status: number }> {
  const response = await fetch(job.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'user-agent': 'graphpulse-alerts' },
    body: JSON.stringify(job.body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  // The answer's body is not needed; reading it to the end frees the connection for reuse.
  const text = await response.text().catch(() => '');
  if (!response.ok) {
    throw new Error(`alert webhook answered ${response.status} ${response.statusText}: ${text.slice(0, 200)}`);
  }
  return { status: response.status };
}

/** Webhook bodies kept while they cannot be queued; beyond this the oldest is dropped (and logged). */
export const WEBHOOK_OUTBOX_MAX = 100;

/**
 * Queues webhook jobs, keeping in memory (bounded) those whose job could not be queued
 * (the queue's Redis or Postgres is down), in order, until flush() queues them: a short
 * outage delays a notification instead of losing it. The memory is this process's: an
 * instance that stops with bodies waiting loses them (logged at each drop, not at exit).
 */
export class WebhookOutbox {
  private readonly waiting: AlertWebhookJob[] = [];
  private flushing: Promise<void> | null = null;

  constructor(
    private readonly enqueue: (job: AlertWebhookJob) => Promise<unknown>,
    private readonly logger: Logger,
    private readonly max = WEBHOOK_OUTBOX_MAX,
  ) {}

  /** Bodies waiting to be queued. */
  get size(): number {
    return this.waiting.length;
  }

  /** Queues the job now, or keeps it for the next flush (behind the ones already waiting, so the order holds). */
  async send(job: AlertWebhookJob): Promise<void> {
    if (this.waiting.length > 0 || this.flushing) {
      this.keep(job, null);
      return;
    }
    await this.enqueue(job).catch((error: unknown) => this.keep(job, error));
  }

  /** Queues the waiting bodies in order; stops at the first that still fails (tried again at the next flush). */
  flush(): Promise<void> {
    this.flushing ??= this.drain().finally(() => (this.flushing = null));
    return this.flushing;
  }

  private async drain(): Promise<void> {
    const before = this.waiting.length;
    while (this.waiting.length > 0) {
      try {
        await this.enqueue(this.waiting[0]);
      } catch (error) {
        this.logger.warn(
          { err: error, waiting: this.waiting.length },
          'alert webhooks still not queued; tried again at the next evaluation',
        );
        return;
      }
      this.waiting.shift();
    }
    if (before > 0) this.logger.info({ queued: before }, 'alert webhooks kept during the outage are queued');
  }

  private keep(job: AlertWebhookJob, error: unknown): void {
    if (this.waiting.length >= this.max) {
      const dropped = this.waiting.shift()!;
      this.logger.error(
        { alert: dropped.body.alert, state: dropped.body.state, at: dropped.body.at },
        'alert webhook outbox full: oldest dropped',
      );
    }
    this.waiting.push(job);
    const fields = { alert: job.body.alert, state: job.body.state, waiting: this.waiting.length };
    if (error) this.logger.error({ ...fields, err: error }, 'alert webhook not queued; kept and tried again at the next evaluation');
  }
}
