import type { ApiClient } from './api-client.js';
import { confirmThen } from './confirm-action.js';
import { el } from './dom.js';
import { Panel } from './panel.js';
import { CLEAR_CACHE, INVALIDATE_FIELDS, INVALIDATE_TAGS, REFRESH_AGGREGATES, RETRY_FAILED_JOBS, WARM_CACHE } from './queries.js';

const entries = (n: number) => `${n} entr${n === 1 ? 'y' : 'ies'}`;
const listOf = (text: string) =>
  text
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);

/** The admin mutations an operator reaches for, each behind a confirm(). */
export class AdminActionsPanel {
  readonly panel = new Panel('actions', 'Admin actions');
  private readonly result = el('p', { className: 'action-result', 'aria-live': 'polite' });
  private readonly tagsInput = el('input', { type: 'text', name: 'tags', placeholder: 'store:1:sales, stores', 'aria-label': 'tags' });
  private readonly fieldInput = el('input', {
    type: 'text',
    name: 'field',
    placeholder: 'Store.revenue',
    list: 'cached-fields',
    'aria-label': 'field',
  });
  private readonly fieldList = el('datalist', { id: 'cached-fields' });

  constructor(
    private readonly api: ApiClient,
    /** Called after an action that changes what the other panels show. */
    private readonly changed: () => void,
  ) {
    const button = (label: string, id: string, onclick: () => void, className = '') =>
      el('button', { type: 'button', id, className, onclick }, label);
    this.panel.show(
      el(
        'div',
        { className: 'actions' },
        el(
          'div',
          { className: 'action-row' },
          this.tagsInput,
          button('Invalidate tags', 'invalidate-tags', () => void this.invalidateTags()),
        ),
        el(
          'div',
          { className: 'action-row' },
          this.fieldInput,
          this.fieldList,
          button('Invalidate field', 'invalidate-field', () => void this.invalidateField()),
        ),
        el(
          'div',
          { className: 'action-buttons' },
          button(
            'Clear all cache',
            'clear-cache',
            () =>
              void this.run(
                'Drop every cached entry on every instance?',
                CLEAR_CACHE,
                (d: { invalidateCache: number }) => `Cache cleared: ${entries(d.invalidateCache)} dropped here.`,
              ),
            'danger',
          ),
          button(
            'Warm cache',
            'warm-cache',
            () =>
              void this.run(
                'Queue a job that fills the cache for every store?',
                WARM_CACHE,
                (d: { warmCache: { id: string } }) => `Warm-up job ${d.warmCache.id} queued.`,
              ),
          ),
          button(
            'Refresh aggregates',
            'refresh-aggregates',
            () =>
              void this.run(
                'Refresh the materialized views now?',
                REFRESH_AGGREGATES,
                (d: { refreshAggregates: { id: string } }) => `Refresh job ${d.refreshAggregates.id} queued.`,
              ),
          ),
          button(
            'Retry failed jobs',
            'retry-failed',
            () =>
              void this.run(
                'Put every failed job of every queue back to waiting?',
                RETRY_FAILED_JOBS,
                (d: { retryFailedJobs: number }) => `${d.retryFailedJobs} failed job(s) back to waiting.`,
              ),
          ),
        ),
        this.result,
      ),
    );
  }

  /** Offers the cached fields the cache panel has seen in the field box. */
  setFields(fields: string[]): void {
    this.fieldList.replaceChildren(...fields.map((field) => el('option', { value: field })));
  }

  private async run<T>(
    question: string,
    mutation: string,
    describe: (data: T) => string,
    variables: Record<string, unknown> = {},
  ): Promise<void> {
    if (await confirmThen(question, this.result, async () => describe(await this.api.request<T>(mutation, variables)))) this.changed();
  }

  private invalidateTags(): Promise<void> {
    const tags = listOf(this.tagsInput.value);
    if (!tags.length) return this.say('Type one or more tags, separated by commas.');
    return this.run(
      `Invalidate ${tags.join(', ')}?`,
      INVALIDATE_TAGS,
      (d: { invalidateCache: number }) => `${entries(d.invalidateCache)} dropped.`,
      { tags },
    );
  }

  private invalidateField(): Promise<void> {
    const fields = listOf(this.fieldInput.value);
    if (!fields.length) return this.say('Type a field coordinate such as Store.revenue.');
    return this.run(
      `Invalidate every cached value of ${fields.join(', ')}?`,
      INVALIDATE_FIELDS,
      (d: { invalidateCache: number }) => `${entries(d.invalidateCache)} dropped.`,
      {
        fields,
      },
    );
  }

  private say(text: string): Promise<void> {
    this.result.className = 'action-result unavailable';
    this.result.textContent = text;
    return Promise.resolve();
  }
}
