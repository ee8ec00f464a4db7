/**
 * Waits for something to happen instead of sleeping a guessed time: calls `check` every
 * `intervalMs` until it returns a truthy value (which it resolves with), and throws once
 * `timeoutMs` has passed without one, saying what was awaited and what `check` returned
 * last. An error thrown by `check` is not retried: it fails the wait at once (assertions
 * inside a check stay assertions). For "until this assertion passes", use expect.poll.
 * `what` (text, or a function read at the timeout for the state then) names the wait.
 */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  { timeoutMs = 5_000, intervalMs = 20, what }: { timeoutMs?: number; intervalMs?: number; what?: string | (() => string) } = {},
): Promise<Exclude<T, false | 0 | '' | null | undefined>> {
  const started = Date.now();
  for (;;) {
    const result = await check();
    if (result) return result as Exclude<T, false | 0 | '' | null | undefined>;
    const waited = Date.now() - started;
    if (waited >= timeoutMs) {
      const awaited = typeof what === 'function' ? what() : (what ?? check.toString().replace(/\s+/g, ' ').slice(0, 200));
      throw new Error(`waitFor: timed out after ${waited} ms waiting for ${awaited} (last result: ${JSON.stringify(result)})`);
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(intervalMs, Math.max(1, timeoutMs - waited))));
  }
}
