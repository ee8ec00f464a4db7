import { LatencyHistogram } from '../latency-histogram.js';

/**
 * The latencies of the current sampling interval. Recorders feed it beside their
 * since-start histogram; the history sampler takes it every 10 s and leaves a fresh one,
 * so each snapshot holds exactly the values of its own interval (no subtraction of HDR
 * histograms, which would lose the exact max).
 */
export class IntervalLatency {
  private current = new LatencyHistogram();

  record(ms: number): void {
    this.current.record(ms);
  }

  /** The interval's histogram; recording continues into a new one. */
  take(): LatencyHistogram {
    const taken = this.current;
    this.current = new LatencyHistogram();
    return taken;
  }
}
