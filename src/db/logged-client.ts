import pg from 'pg';
import { createLogger } from '../logger.js';

export type ConnectionErrorListener = (error: Error) => void;

/** For callers without a logger of their own (tests, one-off sessions): one warn line per failed connection. */
export function defaultConnectionErrorLog(): ConnectionErrorListener {
  const logger = createLogger('warn');
  return (error) => logger.warn({ err: error }, 'Postgres connection failed; the pool replaces it');
}

/**
 * A pg Client class whose instances always listen for 'error'. pg-pool listens only while
 * a client is idle; a connection that fails while lent out (Postgres restarted or failed
 * over: 57P01 "terminating connection due to administrator command") emits 'error' on its
 * client, and with no listener Node turns that into an uncaught exception that kills the
 * process. The failed client's statement rejects as usual and the pool discards it.
 * Pass as the `Client` option of every pg.Pool the process owns (ours and BullMQ's).
 */
export function loggedClientClass(onError: ConnectionErrorListener = defaultConnectionErrorLog()): typeof pg.Client {
  return class LoggedClient extends pg.Client {
    constructor(config?: string | pg.ClientConfig) {
      super(config);
      this.on('error', onError);
    }
  };
}

/** A pg.Pool of logged clients (see loggedClientClass); every pool the process builds itself. */
export function loggedPool(config: Omit<pg.PoolConfig, 'Client'>, onError?: ConnectionErrorListener): pg.Pool {
  const pool = new pg.Pool({ ...config, Client: loggedClientClass(onError) });
  // pg-pool re-emits an idle client's error here; the client's own listener has logged it.
  pool.on('error', () => {});
  return pool;
}
