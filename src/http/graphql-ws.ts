import type { IncomingMessage, Server } from 'node:http';
import type { ApolloServerPlugin } from '@apollo/server';
import type { GraphQLError, GraphQLFormattedError, GraphQLSchema } from 'graphql';
import { CloseCode, handleProtocols, makeServer } from 'graphql-ws';
import { WebSocket, WebSocketServer } from 'ws';
import { connectionParamsKey } from '../auth/bearer.js';
import type { Principal } from '../auth/principal.js';
import type { RequestContext } from '../context.js';
import { BadUserInputError, UnauthenticatedError, isPublicError } from '../errors.js';
import { SubscriberOverflowError } from '../jobs/job-event-stream.js';
import type { Services } from '../services.js';
import { limitsFrom } from '../security/limits.js';
import { CorsPolicy } from './cors.js';
import { formatError, originalOf } from './format-error.js';
import { prepareWsOperation, type WsPayload } from './ws-operation.js';
import { serveGraphqlWs, type SlowConsumerCause, type SocketExtra } from './ws-transport.js';

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

/**
 * A client that reads too slowly: more than WS_MAX_BUFFERED_BYTES unsent on its socket, a
 * ping unanswered for WS_KEEP_ALIVE_MS, or one of its subscriptions more events behind
 * than its source keeps. In the application range (1008 is the standard "policy
 * violation", which graphql-ws clients never retry; 4008 they retry, and a resubscribed
 * jobEvents(jobId:) starts again from the job's state).
 */
export const WS_SLOW_CONSUMER_CODE = 4008;
/** The reason's start; the rest says how far behind, e.g. "slow consumer: 1049000 bytes unsent (limit 1048576)". */
export const WS_SLOW_CONSUMER_REASON = 'slow consumer';

/** The close reason (at most 123 bytes) for a cause found by the transport. */
function slowConsumerReason(cause: SlowConsumerCause, limitBytes: number): string {
  return cause.kind === 'unsent'
    ? `${WS_SLOW_CONSUMER_REASON}: ${cause.unsentBytes} bytes unsent (limit ${limitBytes})`
    : `${WS_SLOW_CONSUMER_REASON}: no pong within ${cause.waitedMs} ms`;
}

type WsExtra = SocketExtra & { principal?: Principal; key?: string };

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
 * masking (formatError), unexpected ones logged whole with the request id. A client that
 * reads too slowly is closed with 4008 (WS_SLOW_CONSUMER_CODE; see serveGraphqlWs), so
 * neither its socket nor its subscriptions' sources grow without bound, and the other
 * subscribers of the same events are never held up by it.
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
  const wss = new WebSocketServer({ server: httpServer, path: '/graphql', maxPayload: config.WS_MAX_MESSAGE_BYTES, handleProtocols });
  wss.on('error', (error) => logger.error({ err: error }, 'WebSocket server error'));
  // The upgrade's 101 carries X-Instance-Id too, like every HTTP response (which instance a subscriber is on).
  const instanceId = services.metricsHistory?.identity.id;
  if (instanceId) wss.on('headers', (headers) => headers.push(`X-Instance-Id: ${instanceId}`));
  // Browsers always send Origin: pages of origins not in CORS_ORIGINS are refused (the same
  // list and rules as HTTP CORS: same-origin pages and clients without an Origin, which still
  // need a key, are always let in). Refusing the upgrade itself would show a browser only an
  // abnormal close (1006), so the socket is accepted and closed at once with 4403; no message
  // on it is ever processed (onConnect sees it closing). Registered before the transport's listener, so this runs first.
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

  const countSlowConsumer = config.METRICS_ENABLED && services.metrics ? () => services.metrics!.http.wsSlowConsumerClosed() : () => {};
  /**
   * Closes a slow consumer's socket with 4008 and `reason` and ends its subscriptions at
   * once, logs it with `detail` and counts it. The close frame waits behind what is unsent
   * (at most WS_MAX_BUFFERED_BYTES and one message: nothing more is queued on a closing
   * socket), so a client that reads again within ws's close timeout (30 s) learns why;
   * after it, ws drops the connection and those bytes.
   */
  const dropSlowConsumer = (extra: WsExtra, reason: string, detail: Record<string, unknown>): void => {
    const { socket, request } = extra;
    if (socket.readyState !== WebSocket.OPEN) return;
    transport.end(socket, WS_SLOW_CONSUMER_CODE, reason);
    countSlowConsumer();
    logger.warn(
      {
        ...detail,
        code: WS_SLOW_CONSUMER_CODE,
        reason,
        keyId: extra.principal?.keyId,
        remoteAddress: request.socket.remoteAddress,
        remotePort: request.socket.remotePort,
      },
      'WebSocket closed: its client reads too slowly',
    );
  };

  const server = makeServer<Record<string, unknown> | undefined, WsExtra>({
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
    onError: (ctx, id, _payload, errors) => {
      // A subscription whose source cut it off for falling behind: the socket goes, not just the operation.
      const overflow = errors.map(originalOf).find((e): e is SubscriberOverflowError => e instanceof SubscriberOverflowError);
      if (!overflow) return format(ctx.extra.principal, errors);
      const reason = `${WS_SLOW_CONSUMER_REASON}: more than ${overflow.limit} events queued`;
      dropSlowConsumer(ctx.extra, reason, { operationId: id, queuedEvents: overflow.limit });
      return [{ message: reason }];
    },
    onNext: (ctx, _id, _payload, args, result) => {
      if (!result.errors?.length) return undefined;
      const requestId = (args.contextValue as RequestContext | undefined)?.requestId;
      const errors = format(ctx.extra.principal, result.errors).map((e) => ({ ...e, extensions: { ...e.extensions, requestId } }));
      return { ...result, errors };
    },
  });
  const transport = serveGraphqlWs(wss, server, {
    maxBufferedBytes: config.WS_MAX_BUFFERED_BYTES,
    keepAliveMs: config.WS_KEEP_ALIVE_MS,
    logger,
    extra: (socket, request) => ({ socket, request }),
    onSlowConsumer: (extra, cause) =>
      dropSlowConsumer(extra, slowConsumerReason(cause, config.WS_MAX_BUFFERED_BYTES), {
        ...cause,
        limitBytes: config.WS_MAX_BUFFERED_BYTES,
      }),
  });

  let disposing: Promise<void> | null = null;
  const dispose = (): Promise<void> => (disposing ??= transport.dispose());
  return {
    dispose,
    plugin: {
      async serverWillStart() {
        return { drainServer: dispose };
      },
    },
  };
}
