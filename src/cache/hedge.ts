/**
 * How long a request waits on Redis before it goes on without it. A healthy Redis answers
 * in well under a millisecond, so a command still pending after this means Redis is hung
 * or drowning; waiting out the 250 ms command timeout would add it to every request of an
 * outage (the fault suite's redis-freeze scenario).
 */
export const REDIS_HEDGE_MS = 50;

/** withinHedge's answer when the promise did not settle in time. */
export const TOO_SLOW = Symbol('redis too slow');

/**
 * The promise's value if it settles within `ms`, else TOO_SLOW. The promise runs on either
 * way: callers that stop waiting must still handle its outcome (it must never reject
 * unhandled), for example to feed a circuit breaker or to remember a failed write.
 */
export async function withinHedge<T>(promise: Promise<T>, ms = REDIS_HEDGE_MS): Promise<T | typeof TOO_SLOW> {
  let timer: NodeJS.Timeout | undefined;
  const slow = new Promise<typeof TOO_SLOW>((resolve) => (timer = setTimeout(() => resolve(TOO_SLOW), ms)));
  try {
    return await Promise.race([promise, slow]);
  } finally {
    clearTimeout(timer);
  }
}
