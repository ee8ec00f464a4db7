import type { IncomingMessage } from 'node:http';
import { CloseCode, type Server as GraphqlWsServer } from 'graphql-ws';
import { WebSocket, type WebSocketServer } from 'ws';
import type { Logger } from '../logger.js';

/**
 * At dispose, how long clients get to answer the 1001 close before their connections are
 * dropped: one that stopped reading never answers, and ws would wait its 30 s close
 * timeout, longer than a whole shutdown may take.
 */
const DISPOSE_GRACE_MS = 2_000;

/** What every graphql-ws context of ours carries in `ctx.extra` (the rest is added by the hooks). */
export interface SocketExtra {
  readonly socket: WebSocket;
  readonly request: IncomingMessage;
}

/** Why a socket's client counts as not keeping up. */
export type SlowConsumerCause =
  /** A message was due while more than maxBufferedBytes of earlier ones were still unsent. */
  | { kind: 'unsent'; unsentBytes: number }
  /** The last ping went unanswered for keepAliveMs: the client is not reading (or is gone). */
  | { kind: 'no-pong'; waitedMs: number; unsentBytes: number };

export interface WsTransportOptions<E extends SocketExtra> {
  /** Unsent bytes (ws `bufferedAmount`) a socket may hold before the next message instead closes it. */
  maxBufferedBytes: number;
  /** A ping this often; the previous one still unanswered at the next is a slow consumer. */
  keepAliveMs: number;
  logger: Logger;
  /** The `ctx.extra` of a new socket. */
  extra(socket: WebSocket, request: IncomingMessage): E;
  /** The socket's client does not keep up: end it (WsTransport.end), and log and count it. */
  onSlowConsumer(extra: E, cause: SlowConsumerCause): void;
}

export interface WsTransport {
  /**
   * Closes `socket` with `code` and `reason` and ends its operations now: their sources
   * stop feeding it at once instead of when the client answers the close, which a client
   * that does not read may never do (ws then drops it after its close timeout, 30 s).
   * Messages it sends meanwhile are ignored.
   */
  end(socket: WebSocket, code: number, reason: string): void;
  /** Closes every socket (1001; dropped after DISPOSE_GRACE_MS if unanswered), then the WebSocket server. */
  dispose(): Promise<void>;
}

/**
 * graphql-ws's `useServer` for `ws`, with one difference that matters: `send` does not
 * wait for the bytes to reach the kernel. useServer resolves each send in ws's write
 * callback, so a client that stops reading stalls its subscriptions and the events pile
 * up, unbounded by bytes, in every source iterator feeding that socket. Here a send
 * queues the message and returns, and the socket's own queue is what is bounded: when a
 * message is due while more than `maxBufferedBytes` from earlier ones are still unsent,
 * the socket is handed to `onSlowConsumer` instead. Earlier bytes, not this message's,
 * so one large result on a healthy but distant client never trips it. The kernel's
 * socket buffers (megabytes on loopback) come before ws's queue and are invisible here;
 * a client that stops reading while little is sent is found by the keepalive instead: a
 * ws ping every keepAliveMs, and one still unanswered at the next ping is a slow consumer
 * too (useServer terminated such a socket without a close frame).
 *
 * The rest is useServer's: a failed message handler closes with 4500, and `closed` tells
 * graphql-ws so it returns the socket's iterators. Errors are logged through pino (one
 * line), not console with a stack. The WebSocketServer must be created with graphql-ws's
 * `handleProtocols`.
 */
export function serveGraphqlWs<E extends SocketExtra>(
  wss: WebSocketServer,
  server: GraphqlWsServer<E>,
  options: WsTransportOptions<E>,
): WsTransport {
  const { logger, maxBufferedBytes, keepAliveMs } = options;
  /** Per open socket: tells graphql-ws it is closed (once). */
  const finishers = new WeakMap<WebSocket, (code: number, reason: string) => void>();

  wss.on('connection', (socket, request) => {
    const extra = options.extra(socket, request);
    // A message over maxPayload is one (ws has already closed with 1009): one log line, and a close if still open.
    socket.on('error', (error: Error & { code?: string }) => {
      logger.warn({ code: error.code, message: error.message }, 'WebSocket socket error; closing it');
      if (socket.readyState === WebSocket.OPEN) socket.close(1011, 'Internal server error');
    });
    let awaitingPong = false;
    socket.on('pong', () => (awaitingPong = false));
    const pinger = setInterval(() => {
      if (socket.readyState !== WebSocket.OPEN) return;
      if (awaitingPong) {
        // After the poll phase, so a pong that arrived while this process was busy is read first.
        setImmediate(() => {
          if (awaitingPong && socket.readyState === WebSocket.OPEN) {
            options.onSlowConsumer(extra, { kind: 'no-pong', waitedMs: keepAliveMs, unsentBytes: socket.bufferedAmount });
          }
        });
        return;
      }
      awaitingPong = true;
      socket.ping();
    }, keepAliveMs);

    let finished = false;
    const closed = server.opened(
      {
        protocol: socket.protocol,
        send: (data) => {
          // Closing or closed: the client is leaving, and a message queued now would only sit in memory.
          if (socket.readyState !== WebSocket.OPEN) return;
          const unsent = socket.bufferedAmount;
          if (unsent > maxBufferedBytes) return options.onSlowConsumer(extra, { kind: 'unsent', unsentBytes: unsent });
          // No callback: a failed write fails the socket, which ws closes and reports through 'close'.
          socket.send(data);
        },
        close: (code, reason) => socket.close(code, reason),
        onMessage: (handle) =>
          socket.on('message', (message: Buffer) => {
            // Ended early (end()): a subscribe now would start an operation nothing ends.
            if (finished) return;
            handle(String(message)).catch((error: unknown) => {
              logger.error({ err: error }, 'graphql-ws message handling failed; closing the socket');
              if (socket.readyState === WebSocket.OPEN) socket.close(CloseCode.InternalServerError, 'Internal server error');
            });
          }),
      },
      extra,
    );
    const finish = (code: number, reason: string): void => {
      if (finished) return;
      finished = true;
      clearInterval(pinger);
      closed(code, reason).catch((error: unknown) => logger.error({ err: error, code }, 'graphql-ws close handling failed'));
    };
    finishers.set(socket, finish);
    socket.once('close', (code, reason) => finish(code, String(reason)));
  });

  return {
    end(socket, code, reason) {
      if (socket.readyState === WebSocket.OPEN) socket.close(code, reason);
      finishers.get(socket)?.(code, reason);
    },
    async dispose() {
      for (const client of wss.clients) client.close(1001, 'Going away');
      wss.removeAllListeners();
      // ws calls back once every client is gone.
      const closed = new Promise<void>((resolve, reject) => wss.close((error) => (error ? reject(error) : resolve())));
      const stragglers = setTimeout(() => {
        if (wss.clients.size > 0) logger.warn({ sockets: wss.clients.size }, 'WebSockets did not answer the close; dropping them');
        for (const client of wss.clients) client.terminate();
      }, DISPOSE_GRACE_MS);
      try {
        await closed;
      } finally {
        clearTimeout(stragglers);
      }
    },
  };
}
