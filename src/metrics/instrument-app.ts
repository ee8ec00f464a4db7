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
  /** For services.hotPathListener: counts the requests the hot path answers (Apollo never sees them); absent when not counting. */
  hotPathListener?: Services['hotPathListener'];
  /** GET /metrics, checking keys with the services' principals (built later than this). */
  metricsRoute(services: Services): RouteHandler;
  stop(): Promise<void>;
}

/**
 * Connects the registry's feeds: Kysely's log hook (resolver timing is installed by
 * composeFieldResolvers), the hot-path listener, the event-loop monitor, the Apollo plugin
 * and the route wrapper. With METRICS_ENABLED=false nothing is fed (the bench's "off"
 * side): Metrics and /metrics still answer, with live pool/cache/process numbers only.
 * Runs before Services is assembled (which takes hotPathListener from it), so it needs
 * only the parts built before.
 */
export function instrumentApp(
  metrics: MetricsRegistry,
  parts: Pick<Services, 'config' | 'logger' | 'database'> & {
    /** Coordinates of the @cached fields (composeFieldResolvers' `cached`): the resolver histogram's analytic="true". */
    analyticFields: readonly string[];
  },
): Instrumentation {
  const enabled = parts.config.METRICS_ENABLED;
  const eventLoopLag = metrics.eventLoop;
  const prometheus = createPrometheusRegistry(metrics, {
    processDefaults: enabled,
    logger: parts.logger,
    eventLoopLag: eventLoopLag.lag,
    analyticFields: parts.analyticFields,
  });
  const route = (services: Services) => metricsRoute(prometheus, services);
  if (!enabled) return { plugins: [], timeRoute: (handler) => handler, metricsRoute: route, stop: async () => {} };

  const unobserve = parts.database.observe(metrics.database.observe);
  metrics.process.start();
  eventLoopLag.start();
  return {
    plugins: [apolloMetricsPlugin(metrics.http)],
    timeRoute: (handler) => timeRoute(handler, metrics.http),
    hotPathListener: () => metrics.http.servedByHotPath(),
    metricsRoute: route,
    stop: async () => {
      metrics.process.stop();
      eventLoopLag.stop();
      unobserve();
    },
  };
}
