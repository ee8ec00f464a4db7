import type { ApolloServerPlugin } from '@apollo/server';
import type { RequestContext } from '../context.js';
import type { RouteHandler } from '../http/server.js';
import type { Services } from '../services.js';
import { apolloMetricsPlugin } from './apollo-metrics.plugin.js';
import { timeRoute } from './http-timing.js';
import type { MetricsRegistry } from './metrics-registry.js';
import { metricsRoute } from './metrics-route.js';
import { createPrometheusRegistry } from './prometheus-exporter.js';

export interface Instrumentation {
  /** Apollo plugins to add (createApollo's extraPlugins). */
  plugins: ApolloServerPlugin<RequestContext>[];
  /** Wraps the /graphql route so every request is counted and timed. */
  timeRoute(handler: RouteHandler): RouteHandler;
  /** GET /metrics. */
  metricsRoute: RouteHandler;
  stop(): Promise<void>;
}

/**
 * Connects the registry's feeds: Kysely's log hook (resolver timing is installed by
 * composeFieldResolvers), the hot-path listener, the event-loop monitor, the Apollo plugin
 * and the route wrapper. With METRICS_ENABLED=false nothing is fed (the bench's "off"
 * side): Metrics and /metrics still answer, with live pool/cache/process numbers only.
 */
export function instrumentApp(metrics: MetricsRegistry, services: Services): Instrumentation {
  const enabled = services.config.METRICS_ENABLED;
  const prometheus = createPrometheusRegistry(metrics, { processDefaults: enabled, logger: services.logger });
  const route = metricsRoute(prometheus, services);
  if (!enabled) return { plugins: [], timeRoute: (handler) => handler, metricsRoute: route, stop: async () => {} };

  const unobserve = services.database.observe(metrics.database.observe);
  const previous = services.hotPathListener;
  services.hotPathListener = (served) => {
    metrics.http.servedByHotPath();
    previous?.(served);
  };
  metrics.process.start();
  return {
    plugins: [apolloMetricsPlugin(metrics.http)],
    timeRoute: (handler) => timeRoute(handler, metrics.http),
    metricsRoute: route,
    stop: async () => {
      metrics.process.stop();
      unobserve();
    },
  };
}
