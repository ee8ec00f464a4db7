import 'uplot/dist/uPlot.min.css';
import './page.css';
import { ApiClient } from './api-client.js';
import { Dashboard } from './dashboard.js';
import { keyForm, refusalOf } from './key-form.js';
import { forgetKey, keepKey, readKey } from './key-store.js';

/**
 * GET /dashboard (src/http/dashboard-page.ts serves it): a key form, then the dashboard.
 * The endpoint comes from the page (relative: "graphql"), the key from the person.
 */
const root = document.getElementById('dashboard')!;
const endpoint = root.dataset.endpoint ?? 'graphql';

declare global {
  interface Window {
    /** For the browser test and a curious operator's console: the running dashboard. */
    graphpulseDashboard?: Dashboard;
  }
}

function showForm(message: string | null = null): void {
  window.graphpulseDashboard = undefined;
  root.replaceChildren(keyForm(endpoint, open, message));
  root.querySelector<HTMLInputElement>('#api-key')?.focus();
}

function open(key: string): void {
  keepKey(key);
  const dashboard = new Dashboard(new ApiClient(endpoint, key), () => {
    dashboard.stop();
    forgetKey();
    showForm();
  });
  root.replaceChildren(dashboard.element);
  dashboard.start();
  window.graphpulseDashboard = dashboard;
}

/** A key kept from earlier in this tab is checked again: it may have been revoked since. */
async function boot(): Promise<void> {
  const kept = readKey();
  if (!kept) return showForm();
  const refusal = await refusalOf(endpoint, kept);
  if (refusal) {
    // A server that did not answer says nothing about the key: it stays for the next reload.
    if (refusal.ofKey) forgetKey();
    return showForm(refusal.message);
  }
  open(kept);
}

void boot();
