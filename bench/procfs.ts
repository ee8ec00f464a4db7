import { readFileSync, readdirSync, writeFileSync } from 'node:fs';

/** Linux /proc readers for memory and process-group bookkeeping; each returns null elsewhere. */

function statusField(pid: number, field: string): number | null {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** Resident set size in bytes now. */
export const rssBytes = (pid: number): number | null => statusField(pid, 'VmRSS');

/** The kernel's own peak RSS (high-water mark) in bytes since start or the last reset. */
export const peakRssBytes = (pid: number): number | null => statusField(pid, 'VmHWM');

/** Resets VmHWM to the current RSS (Linux >= 4.0, our own processes); false when not possible. */
export function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** Whether a process exists (signal 0; EPERM means it does, owned by another user). */
export { isProcessAlive as isAlive } from '../src/db/embedded-connection-file.js';

interface ProcEntry {
  pid: number;
  ppid: number;
  pgid: number;
  cmdline: string;
  /** CPU clock ticks used: its own (utime + stime), and those of children it reaped (cutime + cstime). */
  ticks: number;
  reapedTicks: number;
}

function processes(): ProcEntry[] {
  let names: string[];
  try {
    names = readdirSync('/proc').filter((n) => /^\d+$/.test(n));
  } catch {
    return [];
  }
  const out: ProcEntry[] = [];
  for (const name of names) {
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // Fields after the parenthesised command: state ppid pgrp ...
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
      // utime stime cutime cstime are fields 14-17 of stat: 11-14 after the command.
      out.push({
        pid: Number(name),
        ppid: Number(rest[1]),
        pgid: Number(rest[2]),
        cmdline,
        ticks: Number(rest[11]) + Number(rest[12]),
        reapedTicks: Number(rest[13]) + Number(rest[14]),
      });
    } catch {
      // The process ended while we looked.
    }
  }
  return out;
}

/** Live pids of process group `pgid` (a child spawned detached leads its own group). */
export function groupMembers(pgid: number): number[] {
  return processes()
    .filter((p) => p.pgid === pgid)
    .map((p) => p.pid);
}

/**
 * Live processes whose command line mentions `text` (e.g. a Postgres data directory),
 * never this process nor its ancestors (`npm run bench -- --data-dir <dir>` names it too).
 */
export function processesMentioning(text: string): Array<{ pid: number; cmdline: string }> {
  const all = processes();
  const parents = new Map(all.map((p) => [p.pid, p.ppid]));
  const ancestors = new Set<number>();
  for (let pid: number | undefined = process.pid; pid && !ancestors.has(pid); pid = parents.get(pid)) ancestors.add(pid);
  return all.filter((p) => !ancestors.has(p.pid) && p.cmdline.includes(text)).map(({ pid, cmdline }) => ({ pid, cmdline }));
}

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ: 100 on every Linux we run on). */
const TICKS_PER_SEC = 100;

/**
 * CPU seconds used so far by `pid` (user + system) and, separately, by its descendants
 * (for the API: its embedded Postgres server and backends), including children they
 * already reaped. Null where /proc is missing.
 */
export function cpuSecondsOf(pid: number): { own: number; descendants: number } | null {
  const all = processes();
  const self = all.find((p) => p.pid === pid);
  if (!self) return null;
  const children = new Map<number, ProcEntry[]>();
  for (const p of all) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p]);
  let descendants = 0;
  const stack = [...(children.get(pid) ?? [])];
  while (stack.length) {
    const next = stack.pop()!;
    descendants += next.ticks + next.reapedTicks;
    stack.push(...(children.get(next.pid) ?? []));
  }
  return { own: self.ticks / TICKS_PER_SEC, descendants: descendants / TICKS_PER_SEC };
}
