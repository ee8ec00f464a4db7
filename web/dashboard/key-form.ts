import { ApiClient, ApiFailure } from './api-client.js';
import { el } from './dom.js';
import { describeError } from './panel.js';
import { KEY_CHECK } from './queries.js';

export interface Refusal {
  message: string;
  /** The server refused the key itself (unknown or not ADMIN), as opposed to not answering. */
  ofKey: boolean;
}

/** Why a key cannot open the dashboard, or null when it is an ADMIN key. */
export async function refusalOf(endpoint: string, key: string): Promise<Refusal | null> {
  try {
    await new ApiClient(endpoint, key).request(KEY_CHECK);
    return null;
  } catch (error) {
    if (error instanceof ApiFailure && error.has('UNAUTHENTICATED'))
      return { ofKey: true, message: 'This key is not known to the server (mistyped or revoked).' };
    if (error instanceof ApiFailure && error.has('FORBIDDEN'))
      return { ofKey: true, message: 'This key is not an ADMIN key. The dashboard reads Query.metrics, which only ADMIN keys may read.' };
    return { ofKey: false, message: `The key could not be checked: ${describeError(error)}` };
  }
}

/**
 * The first screen: one password field for the key. The key is checked with a metrics
 * query before it is kept; a refused key is dropped with the reason shown.
 */
export function keyForm(endpoint: string, accepted: (key: string) => void, message: string | null = null): HTMLElement {
  const input = el('input', {
    type: 'password',
    id: 'api-key',
    name: 'api-key',
    autocomplete: 'off',
    spellcheck: 'false',
    placeholder: 'gp_…',
    required: true,
    autofocus: true,
  });
  const error = el('p', { className: 'form-error', id: 'key-error', role: 'alert' }, message ?? '');
  const submit = el('button', { type: 'submit' }, 'Open the dashboard');
  const form = el(
    'form',
    { className: 'key-form', id: 'key-form' },
    el('h1', {}, 'graphpulse', el('span', { className: 'muted' }, ' · operations')),
    el('label', { for: 'api-key' }, 'Admin API key'),
    input,
    submit,
    error,
    el(
      'p',
      { className: 'muted small-print' },
      'The key is kept in this tab only (sessionStorage) and sent as Authorization: Bearer to /graphql.',
    ),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const key = input.value.trim();
    if (!key) return;
    submit.disabled = true;
    error.textContent = 'Checking the key…';
    void refusalOf(endpoint, key).then((refusal) => {
      submit.disabled = false;
      if (refusal) {
        error.textContent = refusal.message;
        input.select();
        return;
      }
      error.textContent = '';
      accepted(key);
    });
  });
  return el('div', { className: 'key-screen' }, form);
}
