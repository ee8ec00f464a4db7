import { ApiFailure } from './api-client.js';
import { el, replaceChildren } from './dom.js';

/**
 * A card of the dashboard: a title, an optional note, and a body that either shows its
 * content or says why it is unavailable. Every panel loads its own fields, so a field
 * the server lacks or an error in it leaves the other cards working.
 */
export class Panel {
  readonly element: HTMLElement;
  readonly body: HTMLElement;
  private readonly note: HTMLElement;

  constructor(id: string, title: string, options: { span?: 1 | 2 | 3; tools?: Node[] } = {}) {
    this.note = el('span', { className: 'panel-note' });
    this.body = el('div', { className: 'panel-body' }, el('p', { className: 'muted' }, 'Loading…'));
    this.element = el(
      'section',
      { className: `panel span-${options.span ?? 1}`, id, 'data-state': 'loading' },
      el('header', { className: 'panel-head' }, el('h2', {}, title), this.note, ...(options.tools ?? [])),
      this.body,
    );
  }

  setNote(text: string): void {
    this.note.textContent = text;
  }

  show(...children: (Node | string | null)[]): void {
    this.element.dataset.state = 'ready';
    replaceChildren(this.body, ...children);
  }

  /** The panel says what failed (with the error code the API gave) and keeps no stale numbers. */
  unavailable(error: unknown): void {
    this.element.dataset.state = 'unavailable';
    replaceChildren(this.body, el('p', { className: 'unavailable' }, `Unavailable: ${describeError(error)}`));
  }
}

export function describeError(error: unknown): string {
  if (error instanceof ApiFailure) {
    const first = error.errors[0];
    const more = error.errors.length > 1 ? ` (+${error.errors.length - 1} more)` : '';
    return first ? `${first.message}${first.code ? ` [${first.code}]` : ''}${more}` : error.message;
  }
  return error instanceof Error ? error.message : String(error);
}
