import type { ApiClient } from './api-client.js';
import { el } from './dom.js';
import { formatClock, formatMs, shortId } from './format.js';
import { describeError, Panel } from './panel.js';
import { JOB_EVENTS, type JobEvent } from './queries.js';

const KEPT_EVENTS = 40;

/** Subscription.jobEvents of every queue, newest first: the page's live view of what the workers do. */
export class JobFeedPanel {
  readonly panel = new Panel('job-feed', 'Live job feed');
  private readonly list = el('ol', { className: 'feed' });
  /** Called for each event (the failed-jobs panel reloads on FAILED). */
  onEvent: (event: JobEvent) => void = () => undefined;

  constructor(private readonly api: ApiClient) {
    this.panel.show(this.list, el('p', { className: 'muted feed-empty' }, 'Waiting for job events…'));
  }

  listen(): () => void {
    return this.api.subscribe<{ jobEvents: JobEvent }>(
      JOB_EVENTS,
      ({ jobEvents: event }) => {
        if (this.list.parentNode !== this.panel.body) this.panel.show(this.list);
        this.panel.body.querySelector('.feed-empty')?.remove();
        this.list.prepend(this.row(event));
        while (this.list.children.length > KEPT_EVENTS) this.list.lastElementChild?.remove();
        this.panel.setNote('live');
        this.onEvent(event);
      },
      (failure) => {
        this.panel.setNote('');
        this.panel.unavailable(new Error(`live events stopped: ${describeError(failure)}`));
      },
    );
  }

  private row(event: JobEvent): HTMLElement {
    const detail =
      event.type === 'FAILED' || event.type === 'RETRYING'
        ? `${event.failedReason ?? ''}${event.delayMs ? ` · retry in ${formatMs(event.delayMs)}` : ''}`
        : event.attempt > 1
          ? `attempt ${event.attempt}`
          : '';
    return el(
      'li',
      { 'data-job': event.jobId, 'data-type': event.type },
      el('span', { className: 'muted' }, formatClock(event.at)),
      el('span', { className: `badge event-${event.type.toLowerCase()}` }, event.type),
      el(
        'span',
        { title: event.jobId },
        el('strong', {}, event.kind),
        el('span', { className: 'muted' }, ` ${event.queue} #${shortId(event.jobId)}`),
      ),
      detail ? el('span', { className: 'muted detail', title: detail }, detail) : null,
    );
  }
}
