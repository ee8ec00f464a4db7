import { pino, type Logger } from 'pino';

export type { Logger };

/** One pino logger per process; the Authorization header never reaches a log line. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'graphpulse' },
    redact: {
      paths: ['req.headers.authorization', 'headers.authorization', 'authorization', '*.apiKey'],
      censor: '[redacted]',
    },
  });
}
