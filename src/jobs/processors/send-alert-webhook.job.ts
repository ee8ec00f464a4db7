import { postAlertWebhook } from '../../alerts/alert-webhook.js';
import type { KindProcessor } from '../job-context.js';

/**
 * POSTs one alert transition to the webhook. A failure (network, timeout, non-2xx) fails
 * the attempt and BullMQ retries with backoff; a receiver that gets one twice (its 2xx
 * lost) sees the same body, `alert` + `state` + `at` identify the transition.
 */
export const sendAlertWebhookJob: KindProcessor<'sendAlertWebhook'> = async (job, { services }) => {
  const { status } = await postAlertWebhook(job.data);
  services.logger.info({ jobId: job.id, alert: job.data.body.alert, state: job.data.body.state, status }, 'alert webhook delivered');
  return { status };
};
