/**
 * Keeps this process's event loop busy for `ms` with a synchronous loop: no timer, I/O
 * callback or promise runs meanwhile. Test servers run in the test's process, so this is
 * a known lag the server's event-loop monitor must report.
 */
export function blockEventLoop(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // busy on purpose
  }
}
