import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import { inject } from 'vitest';
import { CHROMIUM_PATH } from './chromium-launch.js';

/**
 * Browser tests drive Debian's Chromium through playwright-core. The run shares one
 * browser (test/helpers/chromium-global-setup.ts launches it on first use); a test file
 * connects with sharedBrowser(), makes a context per scenario, and disconnects in afterAll.
 */

/**
 * Whether the browser tests can run. Without Chromium they are skipped with a line saying
 * how to install it; with CI=true a missing Chromium fails the file instead.
 */
export function chromiumInstalled(): boolean {
  if (existsSync(CHROMIUM_PATH)) return true;
  if (process.env.CI === 'true') {
    throw new Error(
      `CI=true but there is no Chromium at ${CHROMIUM_PATH}: the browser tests cannot run (Debian: apt-get install -y chromium)`,
    );
  }
  console.warn(
    `Chromium not found at ${CHROMIUM_PATH}: browser tests are skipped. Install it (Debian: apt-get install -y chromium) or set CHROMIUM_PATH.`,
  );
  return false;
}

let connected: Promise<Browser> | null = null;

/** The run's Chromium, connected once per test file. */
export function sharedBrowser(): Promise<Browser> {
  connected ??= (async () => {
    const response = await fetch(inject('chromiumBroker'));
    const answer = (await response.json()) as { wsEndpoint?: string; error?: string };
    if (!answer.wsEndpoint) throw new Error(`Chromium could not be launched: ${answer.error}`);
    return chromium.connect(answer.wsEndpoint);
  })();
  return connected;
}

/** Closes this file's contexts and disconnects; the browser itself stays for other files. */
export async function disconnectBrowser(): Promise<void> {
  if (!connected) return;
  const browser = await connected;
  connected = null;
  await browser.close();
}

export interface IsolatedContext {
  context: BrowserContext;
  /** Every request (HTTP or WebSocket) to an origin not allowed: each was refused. */
  refused: string[];
}

/**
 * A browser context cut off from everything but `allowedOrigins` (http://host:port):
 * any other request or WebSocket is aborted and recorded, so a test can fail when a page
 * tried to reach, say, a CDN.
 */
export async function isolatedContext(browser: Browser, allowedOrigins: string[]): Promise<IsolatedContext> {
  const context = await browser.newContext();
  const refused: string[] = [];
  const allowed = new Set(allowedOrigins.flatMap((origin) => [origin, origin.replace(/^http/, 'ws')]));
  await context.route(
    (url) => !allowed.has(url.origin),
    (route) => {
      refused.push(route.request().url());
      return route.abort('blockedbyclient');
    },
  );
  await context.routeWebSocket(
    (url) => !allowed.has(url.origin),
    (ws) => {
      refused.push(ws.url());
      return ws.close({ code: 1008, reason: 'blocked by the test' });
    },
  );
  return { context, refused };
}

/** test/browser/output/<file>: screenshots and the like (gitignored). */
export function browserOutputPath(file: string): string {
  const dir = join(import.meta.dirname, '..', 'browser', 'output');
  mkdirSync(dir, { recursive: true });
  return join(dir, file);
}
