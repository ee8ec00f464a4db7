import type { IncomingMessage, Server } from 'node:http';
import type { ApolloServerPlugin } from '@apollo/server';
import type { GraphQLError, GraphQLFormattedError, GraphQLSchema } from 'graphql';
import { CloseCode } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocket, WebSocketServer } from 'ws';
import { connectionParamsKey } from '../auth/bearer.js';
import type { Principal } from '../auth/principal.js';
import type { RequestContext } from '../context.js';
import { BadUserInputError, UnauthenticatedError, isPublicError } from '../errors.js';
import type { Services } from '../services.js';
import { limitsFrom } from '../security/limits.js';
import { CorsPolicy } from './cors.js';
import { formatError, originalOf } from './format-error.js';
import { prepareWsOperation, type WsPayload } from './ws-operation.js';

/** Subscriptions one socket may hold at once; more is a client bug or abuse. */
const MAX_OPERATIONS_PER_SOCKET = 100;
const SUGGESTION = / Did you mean .+\?$/;

/**
 * Refusals close the socket with a code clients can switch on and a reason people can
 * read. 4401 is in graphql-ws's client list of codes it never retries; 4403 it does
 * retry by default (README: clients set `shouldRetry`).
 */
export const WS_REFUSALS = {
  missingKey: { code: CloseCode.Unauthorized, reason: 'Unauthorized: missing API key' },
  unknownKey: { code: CloseCode.Unauthorized, reason: 'Unauthorized: unknown or revoked API key' },
  origin: { code: CloseCode.Forbidden, reason: 'Forbidden: origin not allowed' },
} as const;

type WsExtra = { principal?: Principal; key?: string };

export interface GraphqlWs {
  /** Apollo's drain hook: closes every socket (1001) and the WebSocket server when Apollo stops. */
  plugin: ApolloServerPlugin<RequestContext>;
  /** Idempotent; the same as the plugin's drain. */
  dispose(): Promise<void>;
}

/**
 * graphql-transport-ws on the HTTP server's port and path. The Origin is checked when
 * the socket opens (a refused one closes with 4403) and the key once at connection_init
 * (a missing, unknown or revoked one closes with 4401); every operation then passes
 * the same limits as HTTP (prepareWsOperation), and errors leave through the same
 * masking (formatError), unexpected ones logged whole with the request id.
 */
export function attachGraphqlWs(
  httpServer: Server,
  schema: GraphQLSchema,
  services: Services,
  cors: CorsPolicy = new CorsPolicy(services.config.CORS_ORIGINS, services.logger),
): GraphqlWs {
  const { config, logger } = services;
  const production = config.NODE_ENV === 'production';
  const limits = limitsFrom(config);
  const wss = new WebSocketServer({ server: httpServer, path: '/graphql', maxPayload: config.WS_MAX_MESSAGE_BYTES });
  wss.on('error', (error) => logger.error({ err: error }, 'WebSocket server error'));
  // Browsers always send Origin: pages of origins not in CORS_ORIGINS are refused (the same
  // list and rules as HTTP CORS: same-origin pages and clients without an Origin, which still
  // need a key, are always let in). Refusing the upgrade itself would show a browser only an
  // abnormal close (1006), so the socket is accepted and closed at once with 4403; no message
  // on it is ever processed (onConnect sees it closing). Registered before useServer, so this runs first.
  const originRefused = (request: IncomingMessage) => cors.verdict(request) === 'refused';
  wss.on('connection', (socket, request) => {
    if (originRefused(request)) socket.close(WS_REFUSALS.origin.code, WS_REFUSALS.origin.reason);
  });

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
        const { socket } = ctx.extra;
        // Already closing: a refused Origin, or the client left.
        if (socket.readyState !== WebSocket.OPEN) return false;
        const key = connectionParamsKey(ctx.connectionParams);
        const principal = key ? await services.principals.resolve(key) : null;
        if (!principal || !key) {
          const refusal = key ? WS_REFUSALS.unknownKey : WS_REFUSALS.missingKey;
          // Returning false alone would close with 4403 Forbidden; closing first makes it 4401
          // with our reason (ws ignores graphql-ws's second close of a closing socket).
          socket.close(refusal.code, refusal.reason);
          return false;
        }
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

  // graphql-ws console.errors every socket error with its stack; a message over
  // WS_MAX_MESSAGE_BYTES is one (ws has already closed the socket with 1009). Registered
  // after useServer, this replaces its listener: one log line, and a close if still open.
  wss.on('connection', (socket) => {
    socket.removeAllListeners('error');
    socket.on('error', (error: Error & { code?: string }) => {
      logger.warn({ code: error.code, message: error.message }, 'WebSocket socket error; closing it');
      if (socket.readyState === socket.OPEN) socket.close(1011, 'Internal server error');
    });
  });

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
