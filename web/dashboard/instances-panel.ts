import type { ApiClient } from './api-client.js';
import { el, table } from './dom.js';
import { formatAge, formatMs, formatRate } from './format.js';
import { Panel } from './panel.js';
import { INSTANCES, type Instance, type InstancesData } from './queries.js';

const nameOf = (instance: Instance) => `${instance.host}:${instance.pid}`;

/**
 * Every live instance of the cluster with its own request rate and p99 over the last 60 s.
 * The API answers from whichever instance receives the request; the view selector names one
 * of these (metrics(instance:)) or the cluster. The row marked "answering" received the request.
 */
export class InstancesPanel {
  readonly panel = new Panel('instances', 'Instances');
  /** The instance that answered the last refresh, for the header. */
  answering: Instance | null = null;
  /** Every live instance at the last refresh (the view selector offers each); null when the list could not be read. */
  list: Instance[] | null = null;

  constructor(private readonly api: ApiClient) {}

  async refresh(): Promise<void> {
    try {
      const { instances } = (await this.api.request<InstancesData>(INSTANCES)).metrics;
      this.answering = instances.find((i) => i.self) ?? null;
      this.list = instances;
      this.panel.setNote(`${instances.length} live`);
      const now = Date.now();
      this.panel.show(
        table(
          ['instance', 'req/s', 'p99', 'up', 'seen'],
          instances.map((i) => [
            el(
              'span',
              { className: i.self ? 'self' : '', title: `${i.id} · version ${i.version}` },
              nameOf(i),
              i.self ? el('span', { className: 'badge' }, 'answering') : null,
            ),
            formatRate(i.requestsPerSecond),
            formatMs(i.p99Ms),
            formatAge((now - Date.parse(i.startedAt)) / 1000),
            `${formatAge((now - Date.parse(i.lastSeenAt)) / 1000)} ago`,
          ]),
        ),
      );
    } catch (error) {
      this.answering = null;
      this.list = null;
      this.panel.unavailable(error);
    }
  }
}

export { nameOf as instanceName };
