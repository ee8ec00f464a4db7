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
