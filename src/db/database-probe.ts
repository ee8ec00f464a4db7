import pg from 'pg';
import type { Logger } from '../logger.js';
import { loggedPool } from './logged-client.js';

/** A readiness answer must come fast: a load balancer's check has its own short timeout. */
const PROBE_TIMEOUT_MS = 1_000;

/**
 * Answers "does Postgres answer?" for /readyz on a connection of its own, so the check
 * never queues behind an exhausted request pool, and within PROBE_TIMEOUT_MS whatever
 * the server does. Concurrent checks share one round trip.
 */
export class DatabaseProbe {
  private readonly pool: pg.Pool;
  private inFlight: Promise<boolean> | null = null;

  constructor(
    connectionString: string,
    private readonly logger: Logger,
  ) {
    this.pool = loggedPool(
      {
        connectionString,
        max: 1,
        idleTimeoutMillis: 30_000,
        connectionTimeoutMillis: PROBE_TIMEOUT_MS,
        statement_timeout: PROBE_TIMEOUT_MS,
        application_name: 'graphpulse:readiness',
      },
      (error) => logger.warn({ err: error }, 'readiness probe connection failed'),
    );
  }

  /** True when `SELECT 1` answered within the timeout. */
  check(): Promise<boolean> {
    this.inFlight ??= this.roundTrip().finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  }

  close(): Promise<void> {
    return this.pool.end();
  }

  private async roundTrip(): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((done) => {
      timer = setTimeout(() => {
        this.logger.warn({ timeoutMs: PROBE_TIMEOUT_MS }, 'readiness check failed: Postgres did not answer in time');
        done(false);
      }, PROBE_TIMEOUT_MS);
    });
    const query = this.pool.query('SELECT 1').then(
      () => true,
      (error: unknown) => {
        this.logger.warn({ err: error }, 'readiness check failed: database');
        return false;
      },
    );
    try {
      return await Promise.race([query, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}
