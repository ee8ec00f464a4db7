import type { ApiClient } from './api-client.js';
import { confirmThen } from './confirm-action.js';
import { el, table } from './dom.js';
import { formatClock, shortId } from './format.js';
import { Panel } from './panel.js';
import { FAILED_JOBS, REMOVE_JOB, RETRY_JOB, type FailedJob, type FailedJobsData } from './queries.js';

/** Query.jobs(state: FAILED), newest first, each with Retry (retryJob) and Remove (removeJob). */
export class FailedJobsPanel {
  readonly panel = new Panel('failed-jobs', 'Failed jobs', { span: 2 });
  private readonly result = el('p', { className: 'action-result' });

  constructor(private readonly api: ApiClient) {}

  async refresh(): Promise<void> {
    try {
      const { jobs } = await this.api.request<FailedJobsData>(FAILED_JOBS);
      this.panel.setNote(jobs.length ? `${jobs.length} shown` : '');
      this.panel.show(
        jobs.length
          ? table(
              ['job', 'reason', 'attempts', 'failed at', ''],
              jobs.map((job) => [
                el(
                  'span',
                  { title: job.id },
                  el('strong', {}, job.kind),
                  el('span', { className: 'muted' }, ` ${job.queue} #${shortId(job.id)}`),
                ),
                el('span', { className: 'reason', title: job.failedReason ?? '' }, job.failedReason ?? '–'),
                `${job.attempts}/${job.maxAttempts}`,
                job.finishedAt ? formatClock(job.finishedAt) : '–',
                this.buttons(job),
              ]),
            )
          : el('p', { className: 'muted' }, 'No failed job.'),
        this.result,
      );
    } catch (error) {
      this.panel.unavailable(error);
    }
  }

  private buttons(job: FailedJob): HTMLElement {
    const act = async (question: string, action: () => Promise<string>) => {
      if (await confirmThen(question, this.result, action)) await this.refresh();
    };
    return el(
      'span',
      { className: 'row-actions' },
      el(
        'button',
        {
          type: 'button',
          className: 'small',
          'data-retry': job.id,
          onclick: () =>
            void act(`Retry job ${job.id} (${job.kind})?`, async () => {
              const { retryJob } = await this.api.request<{ retryJob: { id: string; state: string } }>(RETRY_JOB, { id: job.id });
              return `Job ${retryJob.id} is ${retryJob.state.toLowerCase()} again.`;
            }),
        },
        'Retry',
      ),
      el(
        'button',
        {
          type: 'button',
          className: 'small danger',
          'data-remove': job.id,
          onclick: () =>
            void act(`Remove job ${job.id} (${job.kind})? This cannot be undone.`, async () => {
              await this.api.request<{ removeJob: boolean }>(REMOVE_JOB, { id: job.id });
              return `Job ${job.id} removed.`;
            }),
        },
        'Remove',
      ),
    );
  }
}
