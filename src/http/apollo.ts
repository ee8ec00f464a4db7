import type { Server } from 'node:http';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import type { GraphQLSchema } from 'graphql';
import type { RequestContext } from '../context.js';
import type { Services } from '../services.js';
import type { CompiledExecution } from '../execution/compiled-executor.js';
import { formatError } from './format-error.js';
import { requestPlugin } from './request-plugin.js';
import { limitsFrom } from '../security/limits.js';
import { securityPlugin } from '../security/security.plugin.js';
import { securityValidationRules } from '../security/validation-rules.js';

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
    csrfPrevention: { requestHeaders: ['authorization', 'x-apollo-operation-name', 'apollo-require-preflight'] }, // a Bearer key forces a CORS preflight: GET with a key is safe
    allowBatchedHttpRequests: false,
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
      ApolloServerPluginDrainHttpServer({ httpServer }),
      requestPlugin(services.logger),
      securityPlugin(schema, { production, maxCost: limits.maxCost }),
      ...extraPlugins,
    ],
  });
}
