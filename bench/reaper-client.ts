import { spawn, type ChildProcess } from 'node:child_process';

/** group: a process group to stop; dataDir: a temp data directory to remove; keptDir: a persistent one whose Postgres is stopped, files kept. */
export type Watched = 'group' | 'dataDir' | 'keptDir';

/**
 * The bench side of bench/reaper.ts: tells a detached watchdog what to clean up should
 * this process die before it cleans up itself (SIGKILL, OOM, a wrapper's forced kill:
 * tsx SIGKILLs a child that does not acknowledge a relayed signal within 30 ms).
 */
class ReaperClient {
  private child: ChildProcess | null = null;

  private send(message: { op: 'watch' | 'forget'; kind: Watched; value: string | number }): void {
    if (!this.child) {
      this.child = spawn(process.execPath, ['--import', 'tsx', 'bench/reaper.ts'], {
        cwd: process.cwd(),
        detached: true,
        stdio: ['pipe', 'ignore', 'inherit'],
      });
      this.child.on('error', (error) => console.error(`bench: the cleanup watchdog failed: ${error.message}`));
      this.child.stdin?.on('error', () => undefined);
      // Neither the watchdog nor its pipe may keep the bench alive.
      this.child.unref();
      (this.child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
    }
    this.child.stdin?.write(`${JSON.stringify(message)}\n`);
  }

  watch(kind: Watched, value: string | number): void {
    this.send({ op: 'watch', kind, value });
  }

  forget(kind: Watched, value: string | number): void {
    this.send({ op: 'forget', kind, value });
  }
}

export const reaper = new ReaperClient();
