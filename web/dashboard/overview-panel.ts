import type { ApiClient } from './api-client.js';
import { el } from './dom.js';
import { formatAge, formatCount, formatMs, formatRatio } from './format.js';
import { Panel } from './panel.js';
import { OVERVIEW, viewVariables, type OverviewData, type View } from './queries.js';

interface Tile {
  metric: string;
  label: string;
  read: (m: OverviewData['metrics']) => number;
  format: (value: number) => string;
}

const TILES: Tile[] = [
  { metric: 'requests', label: 'Requests', read: (m) => m.http.requests, format: formatCount },
  { metric: 'p50', label: 'p50', read: (m) => m.http.latency.p50Ms, format: formatMs },
  { metric: 'p95', label: 'p95', read: (m) => m.http.latency.p95Ms, format: formatMs },
  { metric: 'p99', label: 'p99', read: (m) => m.http.latency.p99Ms, format: formatMs },
  { metric: 'error-rate', label: 'Error rate', read: (m) => (m.http.requests ? m.http.errors / m.http.requests : 0), format: formatRatio },
  { metric: 'cache-hit-rate', label: 'Cache hit rate', read: (m) => m.cache.hitRate, format: formatRatio },
  { metric: 'uptime', label: 'Uptime', read: (m) => m.uptimeSeconds, format: formatAge },
];

/**
 * The headline numbers since the counting window began (Metrics.since): of every live
 * instance merged under CLUSTER, of the answering one under INSTANCE. Each tile carries its
 * raw value in data-value, for tests and tooltips.
 */
export class OverviewPanel {
  readonly panel = new Panel('overview', 'Totals', { span: 3 });

  constructor(private readonly api: ApiClient) {}

  async refresh(view: View): Promise<void> {
    try {
      const { metrics } = await this.api.request<OverviewData>(OVERVIEW, viewVariables(view));
      this.panel.setNote(
        `${metrics.scope === 'CLUSTER' ? 'all live instances' : `instance ${view.label}`}, counting since ${new Date(metrics.since).toLocaleString()}`,
      );
      this.panel.show(
        el(
          'div',
          { className: 'tiles' },
          ...TILES.map((tile) => {
            const value = tile.read(metrics);
            return el(
              'div',
              { className: 'tile', 'data-metric': tile.metric, 'data-value': value, title: String(value) },
              el('span', { className: 'tile-label' }, tile.label),
              el('span', { className: 'tile-value' }, tile.format(value)),
            );
          }),
        ),
      );
    } catch (error) {
      this.panel.unavailable(error);
    }
  }
}
