import { AdminActionsPanel } from './admin-actions-panel.js';
import { AlertsBanner } from './alerts-banner.js';
import type { ApiClient } from './api-client.js';
import { CachePanel, RedisPanel } from './cache-panel.js';
import { ChartsPanel } from './charts-panel.js';
import { el } from './dom.js';
import { FailedJobsPanel } from './failed-jobs-panel.js';
import { formatClock, formatMs } from './format.js';
import { instanceName, InstancesPanel } from './instances-panel.js';
import { JobFeedPanel } from './job-feed-panel.js';
import { keepView, readView } from './key-store.js';
import { OverviewPanel } from './overview-panel.js';
import { CLUSTER_VIEW, type Instance, type View } from './queries.js';
import { QueuesPanel } from './queues-panel.js';
import { SlowQueriesPanel } from './slow-queries-panel.js';

/** Metrics.history has 10 s steps: polling faster would redraw the same points. */
export const REFRESH_MS = 10_000;
/** Job events arrive in bursts: the failed-jobs list reloads once this long after the last one. */
const FAILED_JOBS_RELOAD_MS = 300;

/**
 * The dashboard once a key is accepted: the header (view selector: the cluster or one instance, answering instance,
 * last refresh), the alerts strip and the panels. Every REFRESH_MS all panels reload at
 * once, each on its own; the job feed and alert states also move live by subscription.
 */
export class Dashboard {
  readonly element: HTMLElement;
  readonly charts: ChartsPanel;
  refreshes = 0;
  /** The selector's value: 'CLUSTER' or an instance id; resolved against the live instances at each refresh. */
  private choice = readView();
  private readonly viewSelect: HTMLSelectElement;
  private timer: ReturnType<typeof setInterval> | null = null;
  private failedJobsReload: ReturnType<typeof setTimeout> | null = null;
  private running: Promise<void> | null = null;
  private readonly unsubscribes: (() => void)[] = [];
  private readonly overview: OverviewPanel;
  private readonly alerts: AlertsBanner;
  private readonly instances: InstancesPanel;
  private readonly cache: CachePanel;
  private readonly redis: RedisPanel;
  private readonly queues: QueuesPanel;
  private readonly failedJobs: FailedJobsPanel;
  private readonly feed: JobFeedPanel;
  private readonly actions: AdminActionsPanel;
  private readonly slowQueries: SlowQueriesPanel;
  private readonly answeredBy = el('span', { className: 'answered-by', id: 'answered-by' });
  private readonly updated = el('span', { className: 'muted', id: 'updated' });
  private readonly footer = el('footer', { className: 'muted' });

  constructor(
    private readonly api: ApiClient,
    signOut: () => void,
  ) {
    this.overview = new OverviewPanel(api);
    this.charts = new ChartsPanel(api);
    this.alerts = new AlertsBanner(api);
    this.instances = new InstancesPanel(api);
    this.cache = new CachePanel(api);
    this.redis = new RedisPanel(api);
    this.queues = new QueuesPanel(api);
    this.failedJobs = new FailedJobsPanel(api);
    this.feed = new JobFeedPanel(api);
    this.actions = new AdminActionsPanel(api, () => void this.refresh());
    this.slowQueries = new SlowQueriesPanel(api);
    this.feed.onEvent = (event) => {
      // A final failure or a retry changes the failed list: show it without waiting for the next
      // poll, once per burst of events (a retried queue sends one per job).
      if (event.type !== 'FAILED' && event.type !== 'WAITING') return;
      if (this.failedJobsReload) clearTimeout(this.failedJobsReload);
      this.failedJobsReload = setTimeout(() => void this.failedJobs.refresh(), FAILED_JOBS_RELOAD_MS);
    };

    this.viewSelect = el(
      'select',
      {
        id: 'scope',
        'aria-label': 'view',
        onchange: (event) => {
          this.choice = (event.target as HTMLSelectElement).value;
          keepView(this.choice);
          void this.refresh();
        },
      },
      el('option', { value: 'CLUSTER' }, 'Cluster (all instances)'),
    );
    this.element = el(
      'div',
      { className: 'dashboard' },
      el(
        'header',
        { className: 'topbar' },
        el('h1', {}, 'graphpulse', el('span', { className: 'muted' }, ' · operations')),
        el('label', { className: 'scope' }, 'View ', this.viewSelect),
        this.answeredBy,
        el('span', { className: 'spacer' }),
        this.updated,
        el('button', { type: 'button', className: 'small', id: 'refresh', onclick: () => void this.refresh() }, 'Refresh'),
        el('button', { type: 'button', className: 'small', id: 'sign-out', onclick: signOut }, 'Sign out'),
      ),
      this.alerts.element,
      el(
        'div',
        { className: 'grid' },
        this.overview.panel.element,
        this.charts.panel.element,
        // Two short cards stacked beside the tall cache card.
        el('div', { className: 'stack' }, this.instances.panel.element, this.redis.panel.element),
        this.cache.panel.element,
        this.queues.panel.element,
        this.actions.panel.element,
        this.failedJobs.panel.element,
        this.feed.panel.element,
        this.slowQueries.panel.element,
      ),
      this.footer,
    );
  }

  /** Call once the element is in the document (the charts measure their width). */
  start(): void {
    this.unsubscribes.push(this.feed.listen(), this.alerts.listen());
    void this.refresh();
    this.timer = setInterval(() => void this.refresh(), REFRESH_MS);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.failedJobsReload) clearTimeout(this.failedJobsReload);
    for (const unsubscribe of this.unsubscribes.splice(0)) unsubscribe();
    this.api.dispose();
  }

  /** Reloads every panel; a refresh asked for while one runs waits for it instead of doubling the load. */
  refresh(): Promise<void> {
    this.running ??= this.refreshAll().finally(() => (this.running = null));
    return this.running;
  }

  private async refreshAll(): Promise<void> {
    // The list of instances first: the view names one of them (an instance that went away falls back to the cluster).
    await this.instances.refresh();
    const view = this.resolveView(this.instances.list);
    this.fillSelector(this.instances.list);
    await Promise.all([
      this.alerts.refresh(),
      this.overview.refresh(view),
      this.charts.refresh(view),
      this.cache.refresh(view),
      this.redis.refresh(),
      this.queues.refresh(),
      this.failedJobs.refresh(),
      this.slowQueries.refresh(),
    ]);
    this.actions.setFields(this.cache.fields);
    const answering = this.instances.answering;
    const viewed = view.instance ? `instance ${view.label}` : 'cluster view';
    this.answeredBy.textContent = answering ? `${viewed}, answered by ${instanceName(answering)}` : viewed;
    this.refreshes += 1;
    this.updated.textContent = `updated ${formatClock(new Date())}`;
    this.footer.textContent = `Refreshes every ${REFRESH_MS / 1000} s · charts redrawn in ${formatMs(this.charts.lastRedrawMs)} · all numbers from /graphql with your key`;
    document.body.dataset.refreshes = String(this.refreshes);
  }

  /** The chosen view if its instance is live (or the list could not be read); the cluster otherwise. */
  private resolveView(list: Instance[] | null): View {
    if (this.choice === 'CLUSTER') return CLUSTER_VIEW;
    const instance = list?.find((i) => i.id === this.choice);
    if (instance) return { scope: 'INSTANCE', instance: instance.id, label: instanceName(instance) };
    if (list === null) return { scope: 'INSTANCE', instance: this.choice, label: this.choice };
    this.choice = 'CLUSTER';
    keepView(this.choice);
    return CLUSTER_VIEW;
  }

  /** Cluster, then every live instance (the answering one marked); kept as is when the list could not be read. */
  private fillSelector(list: Instance[] | null): void {
    if (!list) return;
    const options = [
      el('option', { value: 'CLUSTER' }, 'Cluster (all instances)'),
      ...list.map((i) => el('option', { value: i.id }, `${instanceName(i)}${i.self ? ' (answering)' : ''}`)),
    ];
    const same =
      options.length === this.viewSelect.options.length &&
      options.every(
        (option, index) =>
          option.value === this.viewSelect.options[index].value && option.textContent === this.viewSelect.options[index].textContent,
      );
    // Rebuilt only when the list changed: an open drop-down is not closed under the user at every refresh.
    if (!same) this.viewSelect.replaceChildren(...options);
    this.viewSelect.value = this.choice;
  }
}
