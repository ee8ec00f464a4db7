import type { Server } from 'node:http';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import type { GraphQLSchema } from 'graphql';
import type { RequestContext } from '../context.js';
import type { Services } from '../services.js';
import type { CompiledExecution } from '../execution/compiled-executor.js';
import type { LandingPage } from '../config.js';
import { formatError } from './format-error.js';
import type { PersistedDocumentStore } from './persisted-document-store.js';
import { requestPlugin } from './request-plugin.js';
import { limitsFrom } from '../security/limits.js';
import { securityPlugin } from '../security/security.plugin.js';
import { securityValidationRules } from '../security/validation-rules.js';
import { gracefulDrainPlugin } from './graceful-drain.js';

/**
 * Apollo's landing page for LANDING_PAGE: `sandbox` is Apollo Sandbox (its code comes
 * from Apollo's CDN), in any NODE_ENV once chosen; `graphiql` is served before Apollo by
 * src/http/landing-page.ts; `off` is none.
 */
function apolloLandingPage(choice: LandingPage): ApolloServerPlugin<RequestContext> {
  return choice === 'sandbox' ? ApolloServerPluginLandingPageLocalDefault({ embed: true }) : ApolloServerPluginLandingPageDisabled();
}

/**
 * Apollo Server with our edge rules. The cacheControl plugin is off: caching is per
 * resolver (@cached) and the plugin's per-field work halves list throughput.
 */
export function createApollo(
  schema: GraphQLSchema,
  httpServer: Server,
  services: Services,
  extraPlugins: ApolloServerPlugin<RequestContext>[] = [],
  execution: CompiledExecution | null = null,
  persistedDocuments: PersistedDocumentStore | null = null,
): ApolloServer<RequestContext> {
  const production = services.config.NODE_ENV === 'production';
  const limits = limitsFrom(services.config);
  return new ApolloServer<RequestContext>({
    // Compiled execution enters through Apollo's executor seam (see CompiledExecution).
    ...(execution ? { gateway: execution.gateway() } : { schema }),
    formatError,
    // Our config, not process.env, decides the landing page and defaults.
    nodeEnv: services.config.NODE_ENV,
    includeStacktraceInErrorResponses: !production && services.config.NODE_ENV !== 'test',
    // A Bearer key forces a CORS preflight, so a GET carrying a key is safe from CSRF.
    csrfPrevention: { requestHeaders: ['authorization', 'x-apollo-operation-name', 'apollo-require-preflight'] },
    allowBatchedHttpRequests: false,
    // Automatic persisted queries in our store (Redis shared by every instance, an LRU in
    // front and as fallback); Apollo registers a document only once it validated and
    // passed the cost check. Without a store (executeOperation-only uses) Apollo's own LRU.
    ...(persistedDocuments ? { persistedQueries: { cache: persistedDocuments } } : {}),
    // The process entry owns signals and the shutdown phases (src/process-entry.ts); Apollo's
    // own handler would stop it out of order and re-raise the signal.
    stopOnTerminationSignals: false,
    // Introspection is decided per caller (admins only in production) by securityPlugin.
    introspection: true,
    parseOptions: { maxTokens: limits.maxTokens },
    // Also checked before Apollo (DocumentLimits, in the HTTP handler); kept here for executeOperation.
    validationRules: securityValidationRules(limits),
    plugins: [
      ApolloServerPluginCacheControlDisabled(),
      apolloLandingPage(services.config.LANDING_PAGE),
      // In-flight requests finish; keep-alive clients are told to close, not reset (graceful-drain.ts).
      gracefulDrainPlugin(httpServer, drainHardStopMs(services.config)),
      requestPlugin(services.logger),
      securityPlugin(schema, { production, maxCost: limits.maxCost }),
      ...extraPlugins,
    ],
  });
}

/**
 * When the drain destroys the connections still open: 2 s before SHUTDOWN_GRACE_MS runs
 * out (after SHUTDOWN_DELAY_MS), so the parts stopped after HTTP still get time to close.
 */
function drainHardStopMs(config: { SHUTDOWN_GRACE_MS: number; SHUTDOWN_DELAY_MS: number }): number {
  return Math.max(1_000, config.SHUTDOWN_GRACE_MS - config.SHUTDOWN_DELAY_MS - 2_000);
}
