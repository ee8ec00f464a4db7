/**
 * Cleanup watchdog of the bench, a detached child reading JSON lines on stdin:
 * {op: 'watch'|'forget', kind: 'group'|'dataDir'|'keptDir', value}. When stdin ends (the
 * bench exited, however it died) it stops every process group, removes every temp data
 * directory and stops any Postgres left on a kept (persistent) one, still watched, then
 * exits. A bench that cleaned up has forgotten them all.
 */
import { createInterface } from 'node:readline';
import { removeDataDir, stopPostgresOf } from './data-dir.js';
import { groupMembers, isAlive } from './procfs.js';

const groups = new Set<number>();
const dataDirs = new Set<string>();
const keptDirs = new Set<string>();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
process.stderr.on('error', () => undefined);

createInterface({ input: process.stdin }).on('line', (line) => {
  try {
    const { op, kind, value } = JSON.parse(line) as { op: string; kind: string; value: string | number };
    const set = (kind === 'group' ? groups : kind === 'keptDir' ? keptDirs : dataDirs) as Set<string | number>;
    if (op === 'watch') set.add(value);
    else set.delete(value);
  } catch {
    // Not ours; ignore.
  }
});

process.stdin.on('close', () => {
  void reap().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(`bench reaper: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    },
  );
});

async function reap(): Promise<void> {
  if (!groups.size && !dataDirs.size && !keptDirs.size) return;
  console.error(
    `bench reaper: the bench ended before cleaning up; stopping process groups ${[...groups].join(', ') || '-'}, removing ${[...dataDirs].join(', ') || '-'}` +
      `${keptDirs.size ? ` and stopping the Postgres of ${[...keptDirs].join(', ')} (kept)` : ''}`,
  );
  // SIGTERM lets graphpulse stop its Postgres in order.
  // Only a pid that still leads its own group is ours (pids get reused).
  for (const pid of groups) if (groupMembers(pid).includes(pid)) process.kill(pid, 'SIGTERM');
  for (let i = 0; i < 300 && [...groups].some(isAlive); i += 1) await sleep(100);
  for (let i = 0; i < 50 && [...groups].some((pid) => groupMembers(pid).length); i += 1) await sleep(100);
  for (const pid of groups) {
    if (!groupMembers(pid).length) continue;
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // Gone meanwhile.
    }
  }
  for (const dir of dataDirs) await removeDataDir(dir);
  for (const dir of keptDirs) await stopPostgresOf(dir);
}
