import { performance } from 'node:perf_hooks';
import { IntervalLatency } from './history/interval-latency.js';
import { LatencyHistogram } from './latency-histogram.js';

/** The same period as ProcessMonitor's event-loop monitor, so both describe one kind of sample. */
const INTERVAL_MS = 10;

/**
 * The process's one event-loop lag timer: every tick's delay past INTERVAL_MS goes into
 * `lag`, since start and never reset (the Prometheus histogram
 * graphpulse_event_loop_lag_seconds: bucket counts can be rated over a window in PromQL),
 * and into `interval`, which the history sampler takes every 10 s (a point's own p99).
 * ProcessMonitor keeps Node's monitor for Metrics.process (its p99 since start or reset).
 *
 * Shared by its users (the instrumentation and the history): it runs from the first
 * start() until each start() has had its stop().
 */
export class EventLoopLagSampler {
  readonly lag = new LatencyHistogram();
  readonly interval = new IntervalLatency();
  private timer: NodeJS.Timeout | null = null;
  private users = 0;

  start(): void {
    this.users += 1;
    if (this.timer) return;
    let last = performance.now();
    this.timer = setInterval(() => {
      const now = performance.now();
      const lagMs = Math.max(0, now - last - INTERVAL_MS);
      this.lag.record(lagMs);
      this.interval.record(lagMs);
      last = now;
    }, INTERVAL_MS);
    // Sampling must never keep a process alive.
    this.timer.unref();
  }

  stop(): void {
    this.users = Math.max(0, this.users - 1);
    if (this.users > 0) return;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
