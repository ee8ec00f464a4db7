import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

export interface ProcessSnapshot {
  rssBytes: number;
  heapUsedBytes: number;
  /** 99th percentile of event-loop delay since start or reset, ms (sampled every RESOLUTION_MS). */
  eventLoopLagP99Ms: number;
  /** Handles and requests keeping the event loop alive (sockets, timers, file handles): a leak grows it. */
  activeResources: number;
  /** Listeners registered on `process` (signal, exit, warning handlers): a leak grows it. */
  processListeners: number;
}

/** Sampling period of the event-loop delay timer: fine enough for ms-scale lag, ~100 wakeups/s. */
const RESOLUTION_MS = 10;

/** Memory from process.memoryUsage() at read time; event-loop lag from Node's own HDR-based monitor. */
export class ProcessMonitor {
  private readonly loop: IntervalHistogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });

  start(): void {
    this.loop.enable();
  }

  stop(): void {
    this.loop.disable();
  }

  snapshot(): ProcessSnapshot {
    const memory = process.memoryUsage();
    // percentile() is in ns and measures the whole timer interval: the lag is what exceeds RESOLUTION_MS.
    const intervalMs = this.loop.count > 0 ? this.loop.percentile(99) / 1e6 : RESOLUTION_MS;
    return {
      rssBytes: memory.rss,
      heapUsedBytes: memory.heapUsed,
      eventLoopLagP99Ms: Math.round(Math.max(0, intervalMs - RESOLUTION_MS) * 1000) / 1000,
      activeResources: process.getActiveResourcesInfo().length,
      processListeners: process.eventNames().reduce((sum, name) => sum + process.listenerCount(name), 0),
    };
  }

  reset(): void {
    this.loop.reset();
  }
}
