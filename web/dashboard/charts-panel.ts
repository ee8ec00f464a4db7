import type { ApiClient } from './api-client.js';
import { CHART_SPECS } from './chart-specs.js';
import { el } from './dom.js';
import { HistoryChart } from './history-chart.js';
import { Panel } from './panel.js';
import { HISTORY, viewVariables, type HistoryData, type View } from './queries.js';

/** The last hour of Metrics.history at 10 s steps (up to 360 points per series), one uPlot chart per concern. */
export class ChartsPanel {
  readonly panel = new Panel('history', 'Last hour', { span: 3 });
  readonly charts = CHART_SPECS.map((spec) => new HistoryChart(spec));
  /** How long the last refresh took to redraw every chart, ms (shown in the footer, read by the browser test). */
  lastRedrawMs = 0;
  private readonly grid = el('div', { className: 'charts' }, ...this.charts.map((chart) => chart.element));

  constructor(private readonly api: ApiClient) {}

  async refresh(view: View): Promise<void> {
    try {
      const { history } = (await this.api.request<HistoryData>(HISTORY, viewVariables(view))).metrics;
      const last = history.at(-1);
      this.panel.setNote(
        `${view.scope === 'CLUSTER' ? 'cluster' : `instance ${view.label}`} · ${history.length} points of 10 s${last ? ` · ${last.instances} instance(s) in the last` : ''}`,
      );
      // Attached before the first draw: uPlot sizes a chart from its container.
      if (this.grid.parentNode !== this.panel.body) this.panel.show(this.grid);
      this.lastRedrawMs = this.charts.reduce((total, chart) => total + chart.update(history), 0);
    } catch (error) {
      this.panel.unavailable(error);
    }
  }
}
