import type { Logger } from '../logger.js';

/** A BullMQ queue, event listener, events producer or worker: all close the same two ways. */
export interface BullPart {
  close(): Promise<void>;
  /** Drops the connections at once, without waiting for Redis to answer. */
  disconnect(): Promise<void>;
}

/**
 * How long a close may wait for Redis before its connections are dropped. A healthy Redis
 * answers QUIT in milliseconds; a dead one never does (ioredis waits for a reconnect), and a
 * restarted one may leave a blocking read pending: without a bound, shutdown would hang
 * until the process's grace deadline forced the exit.
 */
export const BULL_CLOSE_WAIT_MS = 1_500;
/** disconnect() is immediate when it works at all (see below). */
const DISCONNECT_WAIT_MS = 500;

/**
 * close(), or, when it has not finished within `waitMs`, disconnect(): the part is closed
 * either way. The abandoned close() is still watched, so a late failure is logged, not lost.
 */
export async function closeBounded(part: BullPart, what: string, logger: Logger, waitMs = BULL_CLOSE_WAIT_MS): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const closing = part.close().then(
    () => 'closed' as const,
    (error: unknown) => {
      logger.warn({ err: error, part: what }, 'job backend part failed to close cleanly; dropping its connections');
      return 'failed' as const;
    },
  );
  const outcome = await Promise.race([closing, new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), waitMs)))]);
  clearTimeout(timer);
  if (outcome === 'closed') return;
  if (outcome === 'late')
    logger.warn({ part: what, waitMs }, 'job backend part did not close in time (Redis unreachable?); dropping its connections');
  // BullMQ's disconnect() first awaits the connection's initialisation, which a Redis that is
  // gone never completes: bounded as well, and the part is then left to the process's exit.
  const dropped = part.disconnect().then(
    () => true,
    (error: unknown) => {
      logger.warn({ err: error, part: what }, 'dropping the connections of a job backend part failed');
      return true;
    },
  );
  const settled = await Promise.race([
    dropped,
    new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), DISCONNECT_WAIT_MS))),
  ]);
  clearTimeout(timer);
  if (!settled)
    logger.error(
      { part: what, waitMs: DISCONNECT_WAIT_MS },
      'job backend part could not be disconnected (Redis unreachable); left to the process exit',
    );
}
