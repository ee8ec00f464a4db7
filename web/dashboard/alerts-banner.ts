import type { ApiClient } from './api-client.js';
import { el, replaceChildren } from './dom.js';
import { formatAge, formatClock } from './format.js';
import { describeError } from './panel.js';
import { ALERT_EVENTS, ALERTS, type Alert, type AlertEvent, type AlertsData } from './queries.js';

const RECENT_EVENTS = 5;

/**
 * The strip at the top of the page: every FIRING rule in red, PENDING ones in amber, or a
 * calm line with the number of rules. Metrics.alerts gives the states on each refresh;
 * Subscription.alertEvents moves a rule at once when it changes state between refreshes.
 */
export class AlertsBanner {
  readonly element = el('section', { className: 'alerts', id: 'alerts', 'data-state': 'loading' }, 'Loading alerts…');
  private alerts = new Map<string, Alert>();
  private recent: AlertEvent[] = [];
  private loadError: string | null = null;
  private liveError: string | null = null;

  constructor(private readonly api: ApiClient) {}

  /** Opens the alertEvents subscription; returns the function that closes it. */
  listen(): () => void {
    return this.api.subscribe<{ alertEvents: AlertEvent }>(
      ALERT_EVENTS,
      ({ alertEvents: event }) => {
        this.liveError = null;
        this.recent = [event, ...this.recent].slice(0, RECENT_EVENTS);
        const known = this.alerts.get(event.name);
        if (known)
          this.alerts.set(event.name, { ...known, state: event.state, value: event.value, since: event.at, summary: event.summary });
        else
          this.alerts.set(event.name, {
            ...event,
            forSeconds: 0,
            since: event.at,
            lastFiredAt: event.state === 'FIRING' ? event.at : null,
          });
        this.render();
      },
      (failure) => {
        this.liveError = describeError(failure);
        this.render();
      },
    );
  }

  async refresh(): Promise<void> {
    try {
      const { alerts } = (await this.api.request<AlertsData>(ALERTS)).metrics;
      this.alerts = new Map(alerts.map((alert) => [alert.name, alert]));
      this.loadError = null;
    } catch (error) {
      this.loadError = describeError(error);
    }
    this.render();
  }

  private render(): void {
    const all = [...this.alerts.values()];
    const firing = all.filter((a) => a.state === 'FIRING');
    const pending = all.filter((a) => a.state === 'PENDING');
    this.element.dataset.state = this.loadError ? 'unavailable' : firing.length ? 'firing' : pending.length ? 'pending' : 'ok';
    const line = (alert: Alert) =>
      el(
        'li',
        { className: `alert alert-${alert.state.toLowerCase()}`, 'data-alert': alert.name },
        el('strong', {}, alert.name),
        el('span', { className: 'badge' }, alert.state),
        el('span', {}, alert.summary),
        alert.since
          ? el(
              'span',
              { className: 'muted' },
              `${alert.state.toLowerCase()} for ${formatAge((Date.now() - Date.parse(alert.since)) / 1000)}`,
            )
          : null,
      );
    replaceChildren(
      this.element,
      this.loadError
        ? el('p', { className: 'unavailable' }, `Alerts unavailable: ${this.loadError}`)
        : firing.length || pending.length
          ? el('ul', { className: 'alert-list' }, ...firing.map(line), ...pending.map(line))
          : el('p', { className: 'alerts-ok' }, `No alert firing · ${all.length} rule${all.length === 1 ? '' : 's'} watched`),
      this.recent.length
        ? el(
            'p',
            { className: 'alert-events muted' },
            'Recent: ',
            ...this.recent.map((e) =>
              el('span', { className: 'alert-event' }, `${formatClock(e.at)} ${e.name} ${e.previousState}→${e.state}`),
            ),
          )
        : null,
      this.liveError ? el('p', { className: 'muted' }, `Live alert events unavailable: ${this.liveError}`) : null,
    );
  }
}
