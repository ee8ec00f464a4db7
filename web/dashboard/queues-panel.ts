import type { ApiClient } from './api-client.js';
import { el, table } from './dom.js';
import { formatCount, formatRatio } from './format.js';
import { Panel } from './panel.js';
import { QUEUES, type QueuesData } from './queries.js';

/** Jobs by state per queue (read live from BullMQ), with throughput and success rate since Metrics.since. */
export class QueuesPanel {
  readonly panel = new Panel('queues', 'Queues', { span: 2 });

  constructor(private readonly api: ApiClient) {}

  async refresh(): Promise<void> {
    try {
      const { queues } = (await this.api.request<QueuesData>(QUEUES)).metrics;
      const count = (n: number, className = '') => el('span', { className: n > 0 ? className : 'muted' }, formatCount(n));
      this.panel.show(
        table(
          ['queue', 'waiting', 'active', 'delayed', 'failed', 'completed', 'paused', 'done / failed', 'per min', 'success'],
          queues.map((q) => [
            el('strong', {}, q.name),
            count(q.waiting),
            count(q.active, 'good'),
            count(q.delayed),
            count(q.failed, 'bad'),
            count(q.completed),
            count(q.paused),
            `${formatCount(q.completedInWindow)} / ${formatCount(q.failedInWindow)}`,
            formatCount(q.throughputPerMinute),
            q.successRate === null ? el('span', { className: 'muted' }, '–') : formatRatio(q.successRate),
          ]),
        ),
      );
    } catch (error) {
      this.panel.unavailable(error);
    }
  }
}
