import pg from 'pg';

/**
 * A pg Client class whose instances always listen for 'error'. pg-pool listens only while
 * a client is idle; a connection that fails while lent out (Postgres restarted or failed
 * over: 57P01 "terminating connection due to administrator command") emits 'error' on its
 * client, and with no listener Node turns that into an uncaught exception that kills the
 * process. The failed client's statement rejects as usual and the pool discards it.
 * Pass as the `Client` option of every pg.Pool the process owns (ours and BullMQ's).
 */
export function loggedClientClass(onError: (error: Error) => void): typeof pg.Client {
  return class LoggedClient extends pg.Client {
    constructor(config?: string | pg.ClientConfig) {
      super(config);
      this.on('error', onError);
    }
  };
}
