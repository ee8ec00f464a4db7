import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

/** Sampling period of the delay timer, as in ProcessMonitor: the lag is what exceeds it. */
const RESOLUTION_MS = 10;

/**
 * Event-loop lag per sampling interval. ProcessMonitor's histogram runs since start or
 * resetMetrics; a point of history needs the p99 of its own 10 s, so this one is read and
 * reset at every snapshot.
 */
export class IntervalLoopLag {
  private readonly loop: IntervalHistogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });

  start(): void {
    this.loop.enable();
  }

  stop(): void {
    this.loop.disable();
  }

  /** p99 lag (ms) since the last call; 0 when the monitor saw no tick. */
  take(): number {
    const p99Ms = this.loop.count > 0 ? this.loop.percentile(99) / 1e6 - RESOLUTION_MS : 0;
    this.loop.reset();
    return Math.round(Math.max(0, p99Ms) * 1000) / 1000;
  }
}
