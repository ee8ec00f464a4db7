import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { createRedisSubscriber, type RedisClient } from '../redis.js';
import { AlertCluster } from './alert-cluster.js';
import { AlertService, type AlertHistory } from './alert-service.js';
import type { AlertWebhookJob } from './alert-webhook.js';

export interface AlertsParts {
  /** The cache's fail-fast connection; null without REDIS_URL (alerts stay in this instance). */
  redis: RedisClient | null;
  logger: Logger;
  instance: string;
  history: () => AlertHistory | undefined;
  enqueueWebhook: (job: AlertWebhookJob) => Promise<unknown>;
}

export interface AlertsRuntime {
  alerts: AlertService;
  /** Stops evaluating (the lease is given up) and closes the channel's connection. */
  close(): Promise<void>;
}

/** The alert service from config: with Redis, a lease, shared states and a channel of its own (one more subscriber connection). */
export function createAlerts(config: Config, parts: AlertsParts): AlertsRuntime {
  const subscriber =
    parts.redis && config.REDIS_URL
      ? // Like the cache's subscriber: queues its SUBSCRIBE until connected and re-subscribes after reconnects.
        createRedisSubscriber(config.REDIS_URL, parts.logger, 'alerts-subscriber')
      : null;
  const cluster =
    parts.redis && subscriber
      ? new AlertCluster(parts.redis, subscriber, config.REDIS_PREFIX, parts.instance, config.ALERT_EVALUATION_MS, parts.logger)
      : null;
  const alerts = new AlertService({
    rules: config.ALERT_RULES,
    periodMs: config.ALERT_EVALUATION_MS,
    history: parts.history,
    cluster,
    instance: parts.instance,
    webhookUrl: config.ALERT_WEBHOOK_URL,
    enqueueWebhook: parts.enqueueWebhook,
    logger: parts.logger,
  });
  return {
    alerts,
    close: async () => {
      await alerts.stop();
      subscriber?.disconnect();
    },
  };
}
