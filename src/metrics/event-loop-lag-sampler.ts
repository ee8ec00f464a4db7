import { performance } from 'node:perf_hooks';
import { LatencyHistogram } from './latency-histogram.js';

/** The same period as ProcessMonitor's event-loop monitor, so both describe one kind of sample. */
const INTERVAL_MS = 10;

/**
 * Event-loop lag as a histogram of every tick's delay past INTERVAL_MS, for the
 * Prometheus histogram graphpulse_event_loop_lag_seconds. Node's own monitor
 * (ProcessMonitor) only answers percentiles since start, which cannot be taken over a
 * window in PromQL; bucket counts can (rate over [1m]). Never reset: a counter-like series.
 */
export class EventLoopLagSampler {
  readonly lag = new LatencyHistogram();
  private timer: NodeJS.Timeout | null = null;

  start(): void {
    if (this.timer) return;
    let last = performance.now();
    this.timer = setInterval(() => {
      const now = performance.now();
      this.lag.record(Math.max(0, now - last - INTERVAL_MS));
      last = now;
    }, INTERVAL_MS);
    // Sampling must never keep a process alive.
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
