import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ApolloServer } from '@apollo/server';
import { ensureAdminKey } from './auth/api-keys.js';
import { PrincipalCache } from './auth/principal-cache.js';
import type { Config } from './config.js';
import type { RequestContext } from './context.js';
import { createDatabase } from './db/database.js';
import { migrateToLatest } from './db/migrate.js';
import { providePostgres, type PostgresServer } from './db/postgres-server.js';
import { seedDatabase } from '../db/seed/seed-database.js';
import { composeFieldResolvers } from './execution/field-resolvers.js';
import { hashOf } from './cache/keys.js';
import { cacheReportPlugin } from './cache/cache-report.plugin.js';
import { createCache } from './cache/create-cache.js';
import { tagsForWrite } from './cache/write-tags.js';
import { RateLimiter } from './security/rate-limiter.js';
import { HotPath } from './hot-path/hot-path.js';
import { DocumentLimits } from './security/document-limits.js';
import { limitsFrom } from './security/limits.js';
import { OperationCache } from './hot-path/operation-cache.js';
import { operationStorePlugin } from './hot-path/operation-store.plugin.js';
import { InvalidationCoalescer } from './ingest/invalidation-coalescer.js';
import { StoreDirectory } from './ingest/store-directory.js';
import { printSchemaWithDirectives } from '@graphql-tools/utils';
import { createApollo } from './http/apollo.js';
import { CompiledExecution } from './execution/compiled-executor.js';
import { graphqlHandler } from './http/graphql-handler.js';
import { healthz, readyz } from './http/health.js';
import { DatabaseProbe } from './db/database-probe.js';
import { CommitLsnNotes } from './db/commit-lsn.js';
import { ReadReplicas } from './db/read-replicas.js';
import { StopList } from './stop-list.js';
import { createHttpServer } from './http/server.js';
import { ASSETS_ROUTE, createLandingPage } from './http/landing-page.js';
import { AssetRoutes } from './assets/asset-routes.js';
import { DASHBOARD_ROUTE, DashboardPage } from './http/dashboard-page.js';
import { CorsPolicy } from './http/cors.js';
import { PersistedDocumentStore } from './http/persisted-document-store.js';
import { TrustedDocuments } from './security/trusted-documents.js';
import { createLogger, type Logger } from './logger.js';
import { buildGraphqlSchema } from './schema/build-schema.js';
import { attachGraphqlWs } from './http/graphql-ws.js';
import { startJobs } from './jobs/job-runtime.js';
import { instrumentApp } from './metrics/instrument-app.js';
import { MetricsHistory } from './metrics/history/metrics-history.js';
import { createInstanceIdentity } from './metrics/history/instance-identity.js';
import { createAlerts } from './alerts/create-alerts.js';
import { MetricsRegistry } from './metrics/metrics-registry.js';
import type { Services } from './services.js';

export interface App {
  services: Services;
  /** http://host:port/graphql once started. */
  url: string;
  /** Set on the first start of a database without ADMIN_API_KEY: shown once, never stored. */
  createdAdminKey: string | null;
  /** First phase of a shutdown: /readyz answers 503 from now on; nothing else changes yet. */
  beginShutdown(): void;
  /** Stops every part (beginShutdown included), in reverse order of start. */
  stop(): Promise<void>;
  /** Parts whose stop has not finished yet, by name (the log line of a forced exit names them). */
  pendingStops(): string[];
}

export interface AppOptions {
  logger?: Logger;
  /** 'worker' (npm run worker): job workers only, no HTTP; default 'api'. */
  role?: 'api' | 'worker';
  /**
   * false: the metrics history takes no snapshot on its own 10 s timer, only through
   * sampleNow() — for tests that must decide when the first point exists. Default true.
   */
  sampleHistory?: boolean;
}

/**
 * Builds everything from config and starts serving. Each part started is stopped, in
 * reverse order, by stop() — and by start-up itself when a later step fails.
 */
export async function startApp(config: Config, options: AppOptions = {}): Promise<App> {
  const logger = options.logger ?? createLogger(config.LOG_LEVEL);
  const lifecycle = { shuttingDown: false };
  const beginShutdown = () => {
    lifecycle.shuttingDown = true;
  };
  const stops = new StopList(logger);
  const stopAll = async () => {
    beginShutdown();
    await stops.stopAll();
  };
  const handle = (services: Services, url: string, createdAdminKey: string | null): App => ({
    services,
    url,
    createdAdminKey,
    beginShutdown,
    stop: stopAll,
    pendingStops: () => stops.pending(),
  });
  try {
    const postgres: PostgresServer = await providePostgres(config, logger, options.role === 'worker' ? 'worker' : 'api');
    stops.push('postgres server', () => postgres.stop());
    const database = createDatabase({
      connectionString: postgres.connectionString,
      poolMax: config.DB_POOL_MAX,
      statementTimeoutMs: config.DB_STATEMENT_TIMEOUT_MS,
      connectTimeoutMs: config.DB_CONNECT_TIMEOUT_MS,
      onConnectionError: (error) => logger.warn({ err: error }, 'Postgres connection failed; the pool replaces it'),
    });
    stops.push('database pool', () => database.close());

    const applied = await migrateToLatest(database.db);
    if (applied.length) logger.info({ applied }, 'migrations applied');
    const { createdKey } = await ensureAdminKey(database.db, config.ADMIN_API_KEY);
    // Only the API seeds: a worker attached to it must not race its first seed.
    if (config.SEED === 'demo' && options.role !== 'worker') await seedIfEmpty(database, config, logger);

    const cacheRuntime = await createCache(config, logger);
    stops.push('cache (Redis connections)', () => cacheRuntime.close());
    const replicas = config.DATABASE_READ_URLS
      ? new ReadReplicas({
          urls: config.DATABASE_READ_URLS,
          primary: database,
          primaryUrl: postgres.connectionString,
          // Notes outlive the lag fence: one may expire only when no usable replica can still miss its write.
          notes: new CommitLsnNotes(cacheRuntime.redis, config.REDIS_PREFIX, config.DATABASE_READ_MAX_LAG_MS + 10_000, logger),
          maxLagMs: config.DATABASE_READ_MAX_LAG_MS,
          poolMax: config.DB_POOL_MAX,
          statementTimeoutMs: config.DB_STATEMENT_TIMEOUT_MS,
          connectTimeoutMs: config.DB_CONNECT_TIMEOUT_MS,
          logger,
        })
      : undefined;
    if (replicas) {
      stops.push('read replicas', () => replicas.close());
      await replicas.start();
    }
    /** A committed write's tags: its commit LSN is noted (read replicas) before they are invalidated. */
    const invalidateWritten = async (tags: string[]) => {
      await replicas?.noteCommit(tags);
      await cacheRuntime.cache.invalidate(tags);
    };
    const { cache, bus } = cacheRuntime;
    const principals = new PrincipalCache(database.db);
    if (bus) {
      principals.broadcast = () => bus.publish({ kind: 'keys-revoked' });
      bus.onMessage((message) => message.kind === 'keys-revoked' && principals.clear());
    }
    const schema = await buildGraphqlSchema();
    // Checked as soon as the schema exists, before jobs and HTTP: a bad manifest is a configuration error (exit 2).
    const trustedDocuments =
      config.TRUSTED_DOCUMENTS && options.role !== 'worker'
        ? TrustedDocuments.load(config.TRUSTED_DOCUMENTS, schema, limitsFrom(config))
        : null;
    const execution = config.EXECUTOR === 'jit' ? new CompiledExecution(schema, logger) : null;
    const metrics = new MetricsRegistry({
      database,
      cache,
      slowQueryMs: config.SLOW_QUERY_MS,
      logger,
      // Read at each use, never before: services (holding the jobs part's counts) is assembled once the jobs part is open.
      queues: () => services.queues,
      execution: execution?.stats ?? null,
    });
    const ingest = {
      stores: new StoreDirectory(database.db),
      invalidations: new InvalidationCoalescer((tags) => invalidateWritten(tags), config.INGEST_INVALIDATION_WINDOW_MS, logger),
    };
    stops.push('ingest invalidations', () => ingest.invalidations.close());
    // Entries of an older schema never match a newer one: the schema's hash is part of every key.
    const schemaVersion = hashOf(printSchemaWithDirectives(schema)).slice(0, 8);
    const fields = composeFieldResolvers(schema, { cache, schemaVersion, timings: config.METRICS_ENABLED ? metrics.resolvers : null });
    const instrumentation = instrumentApp(metrics, { config, logger, database, analyticFields: fields.cached.map((f) => f.coordinate) });
    stops.push('metrics instrumentation', () => instrumentation.stop());
    // API processes only (a worker answers no Metrics): 10 s snapshots, and the cluster view through the cache's Redis.
    const metricsHistory =
      options.role === 'worker'
        ? undefined
        : new MetricsHistory({
            registry: metrics,
            cache,
            redis: cacheRuntime.redis,
            prefix: config.REDIS_PREFIX,
            logger,
            analyticFields: fields.cached.map((f) => f.coordinate),
          });
    if (metricsHistory) {
      if (options.sampleHistory !== false) metricsHistory.start();
      stops.push('metrics history', () => metricsHistory.close());
    }
    const operations = new OperationCache(cache, schemaVersion);
    logger.debug({ cached: fields.cached.map((f) => f.coordinate), timed: fields.timed.length }, 'field resolvers composed');
    // Stopped after HTTP and WebSocket, before cache and database.
    const jobs = await startJobs({
      config,
      logger,
      postgresUrl: postgres.connectionString,
      runWorkers: options.role === 'worker' || config.WORKERS === 'inline',
    });
    stops.push('jobs (workers, queue events, producers)', () => jobs.close());
    // Alert rules over the history (API processes only); evaluation starts once the workers run. Stopped before the jobs close.
    const alertsRuntime = metricsHistory
      ? createAlerts(config, {
          redis: cacheRuntime.redis,
          logger,
          instance: metricsHistory.identity.id,
          history: () => metricsHistory,
          enqueueWebhook: (job) => jobs.queues.enqueue('sendAlertWebhook', job),
        })
      : null;
    if (alertsRuntime) stops.push('alert evaluation', () => alertsRuntime.close());
    const services: Services = {
      config,
      logger,
      database,
      principals,
      cache,
      rateLimiter: new RateLimiter(config.RATE_LIMITS, cacheRuntime.redis, config.REDIS_PREFIX, logger),
      metrics,
      metricsHistory,
      alerts: alertsRuntime?.alerts,
      queues: jobs.admin,
      jobs,
      ingest,
      hotPathListener: instrumentation.hotPathListener,
      replicas,
      afterWrite: async (write) => {
        await invalidateWritten(tagsForWrite(write));
      },
    };
    // Last: processors use the whole services, and warming runs queries through the composed schema.
    await jobs.startWorkers({ services, schema });
    if (options.role === 'worker') {
      logger.info({ backend: jobs.backend }, 'graphpulse worker is running');
      return handle(services, '', createdKey);
    }
    // API only (workers serve no metrics). Stops before the queues close (stops run in reverse).
    for (const [name, events] of jobs.queueEvents) metrics.jobOutcomes.follow(name, { queue: jobs.queues.queue(name), events }, logger);
    stops.push('job outcome counting', async () => metrics.jobOutcomes.stop());
    await alertsRuntime?.alerts.start();
    // LANDING_PAGE=graphiql: its bundle builds in the background while the rest starts (null otherwise).
    // One /assets/* route for every bundle we serve (GraphiQL, the dashboard).
    const assets = new AssetRoutes(logger);
    const landingPage = createLandingPage(config.LANDING_PAGE, logger, assets);
    if (landingPage) stops.push('GraphiQL page build', () => landingPage.close());
    // GET /dashboard in every environment; its bundle is built on the first request for it.
    const dashboard = new DashboardPage(logger, assets);
    stops.push('dashboard page build', () => dashboard.close());
    const routes: Parameters<typeof createHttpServer>[0] = {};
    const cors = new CorsPolicy(config.CORS_ORIGINS, logger);
    // X-Instance-Id on every response: the id Metrics.instances lists for this process.
    const instanceId = metricsHistory?.identity.id ?? createInstanceIdentity(new Date()).id;
    const httpServer: Server = createHttpServer(routes, logger, cors, config, instanceId);
    const graphqlWs = attachGraphqlWs(httpServer, schema, services, cors);
    const persistedDocuments = new PersistedDocumentStore(cacheRuntime.redis, config.REDIS_PREFIX, logger);
    const apollo: ApolloServer<RequestContext> = createApollo(
      schema,
      httpServer,
      services,
      [
        cacheReportPlugin(),
        // Without the hot path nothing would read operation entries: do not store them.
        ...(config.HOT_PATH ? [operationStorePlugin(operations)] : []),
        ...instrumentation.plugins,
        graphqlWs.plugin,
      ],
      execution,
      persistedDocuments,
    );
    await apollo.start();
    stops.push('HTTP listener and in-flight requests', () => apollo.stop());
    // Before Apollo drains HTTP: subscribers are told "going away" (1001) and reconnect elsewhere.
    stops.push('WebSocket subscriptions', () => graphqlWs.dispose());
    const hotPath = config.HOT_PATH ? new HotPath(operations, apollo, services) : null;
    const documentLimits = new DocumentLimits(limitsFrom(config));
    routes['/graphql'] = instrumentation.timeRoute(
      graphqlHandler(apollo, services, hotPath, documentLimits, { documents: persistedDocuments, trusted: trustedDocuments }),
    );
    if (landingPage) routes['/graphql'] = landingPage.route(routes['/graphql']);
    routes[ASSETS_ROUTE] = assets.handle;
    routes[DASHBOARD_ROUTE] = dashboard.route;
    routes['/metrics'] = instrumentation.metricsRoute(services);
    routes['/healthz'] = healthz;
    const probe = new DatabaseProbe(postgres.connectionString, logger);
    stops.push('readiness probe', () => probe.close());
    routes['/readyz'] = readyz(probe, lifecycle, () => ({
      cache: cacheRuntime.status(),
      ...(replicas ? { replicas: replicas.snapshot() } : {}),
    }));

    await new Promise<void>((resolve, reject) => {
      httpServer.once('error', reject);
      httpServer.listen(config.PORT, config.HOST, () => resolve());
    });
    const { port } = httpServer.address() as AddressInfo;
    const url = `http://${config.HOST}:${port}/graphql`;
    postgres.share();
    logger.info({ url, embedded: config.embedded }, 'graphpulse is serving');
    return handle(services, url, createdKey);
  } catch (error) {
    await stopAll();
    throw error;
  }
}

async function seedIfEmpty(database: ReturnType<typeof createDatabase>, config: Config, logger: Logger): Promise<void> {
  const anyStore = await database.db.selectFrom('stores').select('id').limit(1).executeTakeFirst();
  if (anyStore) return;
  logger.info({ scale: config.DEMO_SCALE }, 'seeding demo data');
  const summary = await seedDatabase(database.pool, { scale: config.DEMO_SCALE, logger });
  logger.info({ summary }, 'demo data seeded');
}
