import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';

export interface CapturedLog {
  /** Give this to startTestServer({ logger }). */
  logger: Logger;
  /** Every line it logged, parsed, in order. */
  lines: Array<Record<string, unknown>>;
}

/** A pino logger at `info` that keeps its lines in memory, for tests of what the server logs. */
export function captureLog(): CapturedLog {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino(
    { level: 'info' },
    new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    }),
  );
  return { logger, lines };
}
