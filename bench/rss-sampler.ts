import { execFile } from 'node:child_process';
import { peakRssBytes, resetPeakRss, rssBytes } from './procfs.js';

export interface RssSampler {
  /** Stops sampling; the peak in bytes (null when the platform gave no reading). */
  stop(): number | null;
}

/** `ps` where /proc is missing (macOS); asynchronous so the load generator never stalls on it. */
function psRss(pid: number): Promise<number | null> {
  return new Promise((resolve) => {
    execFile('ps', ['-o', 'rss=', '-p', String(pid)], (error, stdout) => {
      const kb = Number(stdout.trim());
      resolve(error || !Number.isFinite(kb) || kb <= 0 ? null : kb * 1024);
    });
  });
}

/**
 * Samples the RSS of `pid` every `intervalMs` (VmRSS from /proc/<pid>/status). On Linux
 * the kernel's high-water mark (VmHWM, reset at start) also catches a peak between two
 * samples; the larger of the two is the answer.
 */
export function sampleRss(pid: number, intervalMs = 200): RssSampler {
  const hwmReset = resetPeakRss(pid);
  const procfs = rssBytes(pid) !== null;
  let peak: number | null = null;
  const record = (value: number | null) => {
    if (value !== null && (peak === null || value > peak)) peak = value;
  };
  const sample = () => (procfs ? record(rssBytes(pid)) : void psRss(pid).then(record));
  sample();
  const timer = setInterval(sample, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      sample();
      if (hwmReset) record(peakRssBytes(pid));
      return peak;
    },
  };
}
