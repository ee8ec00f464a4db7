/**
 * Progress of long command-line work (the seed, bench scenarios, the cluster demo).
 * On a TTY: one bar redrawn in place (label, done/total, rate per second, ETA), at most
 * once per 100 ms, finished phases kept above it. Elsewhere (CI logs, a pipe): a plain
 * line every ~5 s and at each phase change, so a log shows the work is alive without
 * flooding it. `done()` ends with a summary line. Writes to stderr by default: stdout
 * stays the command's own output (the seed's summary is parsed by the bench).
 */

/** What progress writes to: process.stderr, or a fake in tests. */
export interface ProgressStream {
  isTTY?: boolean;
  /** Terminal width; the bar line is cut to it (default 100). */
  columns?: number;
  write(chunk: string): unknown;
}

export interface ProgressOptions {
  /** Prefix of every line, e.g. `seed`. */
  label: string;
  /** Units of the first phase (days, requests…); without it no bar, percentage or ETA. */
  total?: number;
  /** Name of the unit, shown after done/total and in the rate (default `items`). */
  unit?: string;
  /** Show units per second (default true; false when the units are seconds themselves). */
  showRate?: boolean;
  /** Default process.stderr. */
  stream?: ProgressStream;
  /** Milliseconds clock (default performance.now): tests inject time instead of sleeping. */
  now?: () => number;
  /** Plain mode: at most one line per this many ms between phase changes (default 5000). */
  plainIntervalMs?: number;
  /**
   * A timer that prints when nothing ticked for a while (a long statement): plain mode
   * prints a line each interval, a TTY redraws the elapsed time. Default: an unref'd
   * setInterval; `null` turns it off (tests call `tick` themselves).
   */
  timers?: { setInterval(fn: () => void, ms: number): unknown; clearInterval(handle: unknown): void } | null;
}

export interface Progress {
  /** `n` more units done (default 1); `detail` (e.g. "512,000 rows, 48,000 rows/s") replaces the previous one. */
  tick(n?: number, detail?: string): void;
  /** Starts a new phase: counting restarts at 0 of `total` (none: no bar), optionally in another unit. */
  phase(name: string, total?: number, unit?: string): void;
  /** Ends the progress: the last phase's state and `summary` (default: units and elapsed time). Later calls do nothing. */
  done(summary?: string): void;
  /** Ends the progress without a summary (the work failed and its caller prints the one error message). */
  abort(): void;
}

/** A TTY bar is redrawn at most this often. */
export const TTY_MIN_INTERVAL_MS = 100;
const BAR_WIDTH = 24;

/** 0.4 s, 42 s, 3m05s, 1h02m. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** 3.2, 48, 12,345: a rate with sensible digits. */
export function formatRate(perSecond: number): string {
  if (!Number.isFinite(perSecond)) return '?';
  if (perSecond < 10) return perSecond.toFixed(1);
  return Math.round(perSecond).toLocaleString('en-US');
}

const count = (n: number) => n.toLocaleString('en-US');

export function createProgress(options: ProgressOptions): Progress {
  const stream = options.stream ?? process.stderr;
  const now = options.now ?? (() => performance.now());
  const tty = stream.isTTY === true;
  const plainInterval = options.plainIntervalMs ?? 5_000;
  const timers =
    options.timers === undefined
      ? {
          setInterval: (fn: () => void, ms: number) => setInterval(fn, ms).unref(),
          clearInterval: (handle: unknown) => clearInterval(handle as NodeJS.Timeout),
        }
      : options.timers;

  const startedAt = now();
  let phaseName: string | null = null;
  let phaseStartedAt = startedAt;
  let total = options.total;
  let unit = options.unit ?? 'items';
  let doneUnits = 0;
  let detail = '';
  let lastWriteAt = -Infinity;
  let finished = false;
  /** TTY: finished phases' lines, written above the bar at the next redraw. */
  const committed: string[] = [];

  const elapsed = () => now() - phaseStartedAt;
  const rate = () => {
    const seconds = elapsed() / 1000;
    return seconds > 0 ? doneUnits / seconds : NaN;
  };

  /** The state as one line: `seed: orders 45/180 days (25%), 3.1 days/s, ETA 43 s — detail`. */
  function describe(withBar: boolean, final = false): string {
    const parts: string[] = [];
    const known = total !== undefined && total > 0;
    const fraction = known ? Math.min(1, doneUnits / total!) : 0;
    let bar = '';
    if (withBar && known) {
      const filled = Math.round(fraction * BAR_WIDTH);
      bar = `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] `;
    }
    if (known) parts.push(`${count(doneUnits)}/${count(total!)} ${unit} (${Math.floor(fraction * 100)}%)`);
    else if (doneUnits > 0) parts.push(`${count(doneUnits)} ${unit}`);
    const perSecond = rate();
    if (doneUnits > 0 && options.showRate !== false) parts.push(`${formatRate(perSecond)} ${unit}/s`);
    if (final) {
      parts.push(`took ${formatDuration(elapsed())}`);
    } else if (known && doneUnits > 0 && doneUnits < total! && perSecond > 0) {
      parts.push(`ETA ${formatDuration(((total! - doneUnits) / perSecond) * 1000)}`);
    } else {
      parts.push(`${formatDuration(elapsed())} elapsed`);
    }
    const head = `${options.label}:${phaseName ? ` ${phaseName}` : ''} `;
    return `${head}${bar}${parts.join(', ')}${detail ? ` — ${detail}` : ''}`;
  }

  function fit(line: string): string {
    const width = stream.columns && stream.columns > 10 ? stream.columns - 1 : 100;
    return line.length > width ? `${line.slice(0, width - 1)}…` : line;
  }

  /** Writes the current state if allowed now (TTY: 100 ms since the last write; plain: the interval). */
  function render(): void {
    const t = now();
    if (tty) {
      if (t - lastWriteAt < TTY_MIN_INTERVAL_MS) return;
      const above = committed.splice(0).map((line) => `\r${line}\x1b[K\n`);
      stream.write(`${above.join('')}\r${fit(describe(true))}\x1b[K`);
    } else {
      if (t - lastWriteAt < plainInterval) return;
      stream.write(`${describe(false)}\n`);
    }
    lastWriteAt = t;
  }

  const heartbeat = timers?.setInterval(() => render(), tty ? 1_000 : plainInterval);

  /** The finished phase's line, when there was a phase with something in it. */
  function closePhase(): void {
    if (phaseName === null && doneUnits === 0) return;
    const line = describe(false, true);
    if (tty) committed.push(line);
    else stream.write(`${line}\n`);
  }

  function finish(): void {
    finished = true;
    if (heartbeat !== undefined) timers?.clearInterval(heartbeat);
  }

  return {
    tick(n = 1, newDetail) {
      if (finished) return;
      doneUnits += n;
      if (newDetail !== undefined) detail = newDetail;
      render();
    },
    phase(name, newTotal, newUnit) {
      if (finished) return;
      closePhase();
      phaseName = name;
      phaseStartedAt = now();
      total = newTotal;
      if (newUnit !== undefined) unit = newUnit;
      doneUnits = 0;
      detail = '';
      if (tty) render();
      else {
        // A phase change is always shown in plain mode; the 5 s interval starts again from it.
        stream.write(`${options.label}: ${name}${total !== undefined ? ` (${count(total)} ${unit})` : ''}…\n`);
        lastWriteAt = now();
      }
    },
    done(summary) {
      if (finished) return;
      // A named phase gets its closing line; without phases the summary says it all.
      if (phaseName !== null) closePhase();
      finish();
      const text = `${options.label}: ${summary ?? `done, ${count(doneUnits)} ${unit} in ${formatDuration(now() - startedAt)}`}`;
      if (tty) {
        const above = committed.splice(0).map((line) => `\r${line}\x1b[K\n`);
        stream.write(`${above.join('')}\r${text}\x1b[K\n`);
      } else {
        stream.write(`${text}\n`);
      }
    },
    abort() {
      if (finished) return;
      finish();
      // The bar's line is ended so the caller's error message starts on its own.
      if (tty && lastWriteAt > -Infinity) stream.write('\n');
    },
  };
}
