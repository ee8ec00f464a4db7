import { Server as NetServer, type Socket } from 'node:net';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { ApolloServerPlugin } from '@apollo/server';

/**
 * Closing the HTTP listener without cutting anyone off. Apollo's drain plugin ends every
 * idle keep-alive socket at once and ends busy ones right after their response, whose
 * headers still promised keep-alive: a client that sends its next request on such a socket
 * in that instant gets a reset (ECONNRESET), not an answer nor a refusal. The fault suite
 * (api-sigterm) counted eleven of them at 150 req/s. Here instead:
 *   1. the listening socket closes, so new connections are refused (ECONNREFUSED), the
 *      clean signal a client or load balancer retries elsewhere on;
 *   2. every response from then on, and every one still being written, says
 *      `Connection: close`, so each keep-alive socket closes after its next answer;
 *   3. a socket that sends nothing for LINGER_MS is idle, not busy: it is ended then;
 *   4. whatever is still open after the hard-stop delay is destroyed.
 * The drain ends as soon as no socket is left.
 */

/** How long an idle keep-alive socket may still bring a request after the listener closed. */
const LINGER_MS = 1_000;

export class GracefulDrain {
  private readonly sockets = new Map<Socket, { inFlight: number; lastActivity: number }>();
  private readonly responses = new Set<ServerResponse>();
  private draining = false;

  constructor(private readonly server: Server) {
    server.on('connection', (socket: Socket) => {
      this.sockets.set(socket, { inFlight: 0, lastActivity: Date.now() });
      socket.once('close', () => this.sockets.delete(socket));
    });
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      const state = this.sockets.get(req.socket);
      if (state) {
        state.inFlight += 1;
        state.lastActivity = Date.now();
      }
      if (this.draining) res.shouldKeepAlive = false;
      this.responses.add(res);
      res.once('close', () => {
        this.responses.delete(res);
        if (state) {
          state.inFlight -= 1;
          state.lastActivity = Date.now();
        }
      });
    });
  }

  /** Resolves when every connection is gone; `hardStopMs` after the start it destroys what is left. */
  async drain(hardStopMs: number): Promise<void> {
    this.draining = true;
    for (const res of this.responses) if (!res.headersSent) res.shouldKeepAlive = false;
    // net.Server#close, not http.Server#close: since Node 19 the latter also ends idle
    // keep-alive sockets at once, which is the race this class exists to avoid.
    const closed = new Promise<void>((resolve) => NetServer.prototype.close.call(this.server, () => resolve()));
    const startedAt = Date.now();
    const sweeper = setInterval(() => {
      const now = Date.now();
      for (const [socket, state] of this.sockets) {
        if (now - startedAt >= hardStopMs) socket.destroy();
        else if (state.inFlight === 0 && now - Math.max(state.lastActivity, startedAt) >= LINGER_MS) socket.end();
      }
    }, 50);
    try {
      await closed;
    } finally {
      clearInterval(sweeper);
    }
  }
}

/** Apollo's drain hook over GracefulDrain (in place of ApolloServerPluginDrainHttpServer). */
export function gracefulDrainPlugin(httpServer: Server, hardStopMs: number): ApolloServerPlugin {
  const drain = new GracefulDrain(httpServer);
  return {
    async serverWillStart() {
      return { drainServer: () => drain.drain(hardStopMs) };
    },
  };
}
