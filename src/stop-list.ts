import type { Logger } from './logger.js';

/**
 * The parts a process started, each with a name and a stop function, stopped in reverse
 * order of start. A failing stop is logged and the next one still runs; pending() names
 * the parts not stopped yet, for the log line of a shutdown that hit its deadline.
 */
export class StopList {
  private readonly entries: Array<{ name: string; stop: () => Promise<void> }> = [];
  private readonly stopping = new Set<string>();

  constructor(private readonly logger: Logger) {}

  push(name: string, stop: () => Promise<void>): void {
    this.entries.push({ name, stop });
  }

  pending(): string[] {
    return [...this.stopping, ...this.entries.map((entry) => entry.name).reverse()];
  }

  async stopAll(): Promise<void> {
    for (let entry = this.entries.pop(); entry; entry = this.entries.pop()) {
      this.stopping.add(entry.name);
      try {
        await entry.stop();
      } catch (error) {
        this.logger.error({ err: error, part: entry.name }, 'error while stopping');
      } finally {
        this.stopping.delete(entry.name);
      }
    }
  }
}
