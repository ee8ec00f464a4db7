import type { Logger } from './logger.js';

/**
 * Logs each distinct warning message at most once per period: a Redis outage seen by a
 * 10 s timer must not flood the log, yet a second, different failure during the same
 * outage is still told (one shared timestamp would hide it).
 */
export class ThrottledWarn {
  private readonly lastLogged = new Map<string, number>();

  constructor(
    private readonly logger: Logger,
    private readonly everyMs: number,
    /** Fields added to every line (e.g. the instance id). */
    private readonly context: Record<string, unknown> = {},
    private readonly now: () => number = () => Date.now(),
  ) {}

  /** Logs `message` with the error unless the same message was logged less than everyMs ago; true when logged. */
  warn(error: unknown, message: string): boolean {
    const now = this.now();
    if (now - (this.lastLogged.get(message) ?? -Infinity) < this.everyMs) return false;
    this.lastLogged.set(message, now);
    this.logger.warn({ ...this.context, err: error }, message);
    return true;
  }
}
