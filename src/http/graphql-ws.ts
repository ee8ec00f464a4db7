import { bearerKey } from '../auth/bearer.js';
import type { Server } from 'node:http';
import type { ApolloServerPlugin } from '@apollo/server';
import type { GraphQLError, GraphQLFormattedError, GraphQLSchema } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { Principal } from '../auth/principal.js';
import type { RequestContext } from '../context.js';
import { BadUserInputError, UnauthenticatedError, isPublicError } from '../errors.js';
import type { Services } from '../services.js';
import { limitsFrom } from '../security/limits.js';
import { formatError, originalOf } from './format-error.js';
import { prepareWsOperation, type WsPayload } from './ws-operation.js';

/** Subscriptions one socket may hold at once; more is a client bug or abuse. */
const MAX_OPERATIONS_PER_SOCKET = 100;
const SUGGESTION = / Did you mean .+\?$/;

type WsExtra = { principal?: Principal; key?: string };

export interface GraphqlWs {
  /** Apollo's drain hook: closes every socket (1001) and the WebSocket server when Apollo stops. */
  plugin: ApolloServerPlugin<RequestContext>;
  /** Idempotent; the same as the plugin's drain. */
  dispose(): Promise<void>;
}


/**
 * graphql-transport-ws on the HTTP server's port and path. The key is checked once at
 * connection_init (a bad or missing one closes with 4403); every operation then passes
 * the same limits as HTTP (prepareWsOperation), and errors leave through the same
 * masking (formatError), unexpected ones logged whole with the request id.
 */
export function attachGraphqlWs(httpServer: Server, schema: GraphQLSchema, services: Services): GraphqlWs {
  const { config, logger } = services;
  const production = config.NODE_ENV === 'production';
  const limits = limitsFrom(config);
  const allowed = config.WS_ALLOWED_ORIGINS;
  const wss = new WebSocketServer({
    server: httpServer,
    path: '/graphql',
    maxPayload: config.WS_MAX_MESSAGE_BYTES,
    // Browsers always send Origin: refuse pages of other sites. Other clients send none and still need a key.
    verifyClient: ({ origin }: { origin?: string }) => !allowed || !origin || allowed.includes(origin),
  });
  wss.on('error', (error) => logger.error({ err: error }, 'WebSocket server error'));

  const format = (principal: Principal | undefined, errors: readonly GraphQLError[]): GraphQLFormattedError[] =>
    errors.map((error) => {
      const original = originalOf(error);
      const requestId = (error.extensions?.requestId as string | undefined) ?? undefined;
      if (!isPublicError(original) && original instanceof Error && original !== error) {
        logger.error({ err: original, path: error.path, requestId, transport: 'ws' }, 'unexpected error while resolving');
      }
      const formatted = formatError(error.toJSON(), error);
      const message = production && principal?.role !== 'ADMIN' ? formatted.message.replace(SUGGESTION, '') : formatted.message;
      return { ...formatted, message };
    });

  const server = useServer<Record<string, unknown> | undefined, WsExtra>(
    {
      schema,
      onConnect: async (ctx) => {
        const key = bearerKey(ctx.connectionParams?.authorization);
        const principal = key ? await services.principals.resolve(key) : null;
        if (!principal || !key) return false;
        ctx.extra.principal = principal;
        ctx.extra.key = key;
        return true;
      },
      onSubscribe: async (ctx, _id, payload) => {
        // Looked up again per operation (cached), so a key revoked while the socket is open stops working.
        const principal = await services.principals.resolve(ctx.extra.key!);
        if (!principal) return [new UnauthenticatedError('The API key is unknown or revoked')];
        ctx.extra.principal = principal;
        if (Object.keys(ctx.subscriptions).length > MAX_OPERATIONS_PER_SOCKET) {
          return [new BadUserInputError(`At most ${MAX_OPERATIONS_PER_SOCKET} operations may run on one socket at once`)];
        }
        return prepareWsOperation({ schema, services, limits, production }, principal, payload as WsPayload);
      },
      onError: (ctx, _id, _payload, errors) => format(ctx.extra.principal, errors),
      onNext: (ctx, _id, _payload, args, result) => {
        if (!result.errors?.length) return undefined;
        const requestId = (args.contextValue as RequestContext | undefined)?.requestId;
        const errors = format(ctx.extra.principal, result.errors).map((e) => ({ ...e, extensions: { ...e.extensions, requestId } }));
        return { ...result, errors };
      },
    },
    wss,
  );

  let disposing: Promise<void> | null = null;
  const dispose = (): Promise<void> => (disposing ??= Promise.resolve(server.dispose()));
  return {
    dispose,
    plugin: {
      async serverWillStart() {
        return { drainServer: dispose };
      },
    },
  };
}
