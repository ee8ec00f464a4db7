import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { FAULTS_ADMIN_KEY } from './stack.js';

/** graphql-ws subscribers of the slow-consumers scenario: fast ones that read everything, slow ones that stop reading. */

const wsUrlOf = (httpUrl: string) => httpUrl.replace(/^http/, 'ws');

export interface FastSubscriber {
  /** Every event received (the scenario's readiness check). */
  seen: number;
  /** Progress events with progress above 0: the stream under test (its warm-up event is progress 0). */
  count: number;
  /** Progress events whose progress did not grow, with the first such pair. */
  outOfOrder: number;
  firstDisorder: string | null;
  errors: string[];
  client: Client;
}

/** A graphql-ws client that counts the events of `query` and checks their progress only grows. */
export function fastSubscriber(httpUrl: string, query: string): FastSubscriber {
  const client = createClient({
    url: wsUrlOf(httpUrl),
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${FAULTS_ADMIN_KEY}` },
    retryAttempts: 0,
    lazy: false,
  });
  const state: FastSubscriber = { seen: 0, count: 0, outOfOrder: 0, firstDisorder: null, errors: [], client };
  let last = -1;
  client.subscribe<{ jobEvents: { progress: number | null } }>(
    { query },
    {
      next: (result) => {
        if (result.errors) state.errors.push(...result.errors.map((e) => e.message));
        const progress = result.data?.jobEvents.progress;
        // Events without progress (the job's WAITING) are not part of the order checked.
        if (typeof progress === 'number') {
          if (progress <= last) {
            state.outOfOrder += 1;
            state.firstDisorder ??= `${last} then ${progress}`;
          }
          last = progress;
          if (progress > 0) state.count += 1;
        }
        state.seen += 1;
      },
      error: (error) => state.errors.push(error instanceof Error ? error.message : JSON.stringify(error)),
      complete: () => undefined,
    },
  );
  return state;
}

export interface SlowSubscriber {
  /** The client's port: the server's log names the socket it closed by it. */
  readonly localPort: number;
  /** Resolves with the close code and reason the server sent (read once the socket reads again). */
  readonly closed: Promise<{ code: number; reason: string }>;
  pause(): void;
  resume(): void;
}

/**
 * A raw graphql-ws connection with `subscriptions` copies of `query`, whose TCP socket is
 * paused: what a client that stops reading looks like to the server. Several copies make
 * it outgrow the kernel's socket buffers (megabytes on loopback) and reach the server's
 * own per-socket cap within a stream of 10,000 events.
 */
export async function slowSubscriber(httpUrl: string, query: string, subscriptions: number): Promise<SlowSubscriber> {
  const socket = new WebSocket(wsUrlOf(httpUrl), 'graphql-transport-ws');
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  socket.on('error', () => undefined); // a close follows; its code is what the scenario reads
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  const ack = new Promise<void>((resolve) =>
    socket.on('message', (data: Buffer) => {
      if ((JSON.parse(data.toString()) as { type: string }).type === 'connection_ack') resolve();
    }),
  );
  socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${FAULTS_ADMIN_KEY}` } }));
  await ack;
  for (let id = 1; id <= subscriptions; id += 1) socket.send(JSON.stringify({ id: String(id), type: 'subscribe', payload: { query } }));
  // ws keeps its net.Socket private; pausing it is what a client that stops reading does.
  const tcp = (socket as unknown as { _socket: { pause(): void; resume(): void; localPort: number } })._socket;
  return { localPort: tcp.localPort, closed, pause: () => tcp.pause(), resume: () => tcp.resume() };
}
