import type { ApiClient } from './api-client.js';
import { el, replaceChildren, table } from './dom.js';
import { formatCount, formatMs } from './format.js';
import { describeError, Panel } from './panel.js';
import { SLOW_QUERIES, SLOW_QUERY_PLAN, type SlowQueriesData, type SlowQueryPlanData } from './queries.js';

/**
 * The slowest statement shapes (by p95) with a "plan" button: the server runs EXPLAIN on
 * the normalized text with its slowest sample's parameters (SlowQuery.plan), only when asked.
 */
export class SlowQueriesPanel {
  readonly panel = new Panel('slow-queries', 'Slow statements', { span: 3 });
  private readonly planBox = el('div', { className: 'plan', hidden: true });

  constructor(private readonly api: ApiClient) {}

  async refresh(): Promise<void> {
    try {
      const { database } = (await this.api.request<SlowQueriesData>(SLOW_QUERIES)).metrics;
      this.panel.setNote(`${formatCount(database.slowQueryCount)} at or over ${formatMs(database.slowQueryThresholdMs)}`);
      const rows = database.slowQueries.map((query, index) => [
        el('code', { className: 'sql', title: query.sql }, query.sql),
        formatCount(query.count),
        formatMs(query.latency.p50Ms),
        formatMs(query.latency.p95Ms),
        formatMs(query.latency.p99Ms),
        el('button', { type: 'button', className: 'small', 'data-plan': index, onclick: () => void this.showPlan(query.sql) }, 'plan'),
      ]);
      this.panel.show(
        rows.length
          ? table(['statement', 'count', 'p50', 'p95', 'p99', ''], rows, 'data slow')
          : el('p', { className: 'muted' }, 'No statement recorded yet.'),
        this.planBox,
      );
    } catch (error) {
      this.panel.unavailable(error);
    }
  }

  private async showPlan(sql: string): Promise<void> {
    this.planBox.hidden = false;
    replaceChildren(this.planBox, el('p', { className: 'muted' }, 'Running EXPLAIN…'));
    try {
      // By its text: the list's order may have moved since it was drawn, and only this statement is planned.
      const found = (await this.api.request<SlowQueryPlanData>(SLOW_QUERY_PLAN, { sql })).metrics.database.slowQuery;
      if (!found) {
        replaceChildren(this.planBox, el('p', { className: 'muted' }, 'That statement is no longer recorded (metrics reset); refresh.'));
        return;
      }
      const { plan } = found;
      replaceChildren(
        this.planBox,
        el(
          'header',
          { className: 'plan-head' },
          el('strong', {}, plan.analyzed ? 'EXPLAIN ANALYZE' : 'EXPLAIN'),
          plan.planningMs !== null ? ` · planning ${formatMs(plan.planningMs)}` : '',
          plan.executionMs !== null ? ` · execution ${formatMs(plan.executionMs)}` : '',
          found.sampleParameters.length ? ` · parameters ${found.sampleParameters.join(', ')}` : '',
          el('button', { type: 'button', className: 'small', onclick: () => (this.planBox.hidden = true) }, 'close'),
        ),
        el('pre', {}, plan.text),
      );
    } catch (error) {
      replaceChildren(this.planBox, el('p', { className: 'unavailable' }, `Plan unavailable: ${describeError(error)}`));
    }
  }
}
