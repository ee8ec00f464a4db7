import type { Server } from 'node:http';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import type { GraphQLSchema } from 'graphql';
import type { RequestContext } from '../context.js';
import type { Services } from '../services.js';
import { formatError } from './format-error.js';
import { requestPlugin } from './request-plugin.js';

/**
 * Apollo Server with our edge rules. The cacheControl plugin is off: caching is per
 * resolver (@cached) and the plugin's per-field work halves list throughput.
 */
export function createApollo(
  schema: GraphQLSchema,
  httpServer: Server,
  services: Services,
  extraPlugins: ApolloServerPlugin<RequestContext>[] = [],
): ApolloServer<RequestContext> {
  const production = services.config.NODE_ENV === 'production';
  return new ApolloServer<RequestContext>({
    schema,
    formatError,
    includeStacktraceInErrorResponses: !production && services.config.NODE_ENV !== 'test',
    csrfPrevention: true,
    allowBatchedHttpRequests: false,
    introspection: true,
    plugins: [
      ApolloServerPluginCacheControlDisabled(),
      ApolloServerPluginDrainHttpServer({ httpServer }),
      requestPlugin(services.logger),
      ...extraPlugins,
    ],
  });
}
