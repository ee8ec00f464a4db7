import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BrowserServer } from 'playwright-core';
import type { TestProject } from 'vitest/node';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './chromium-launch.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** URL that answers { wsEndpoint } of the run's one Chromium, launching it on the first ask. */
    chromiumBroker: string;
  }
}

/**
 * One Chromium per test run, shared by every browser test file (each file runs in a
 * process of its own and connects to it), launched only when a file first asks: a run
 * without browser tests never starts it. Closed when the run ends.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let launched: Promise<BrowserServer> | null = null;
  // Playwright keeps the browser's stdout/stderr (D-Bus complaints and the like) out of ours.
  const launch = () =>
    (launched ??= import('playwright-core').then(({ chromium }) =>
      chromium.launchServer({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true }),
    ));
  const broker: Server = createServer((_req, res) => {
    launch().then(
      (browser) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ wsEndpoint: browser.wsEndpoint() }));
      },
      (error: unknown) => {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: error instanceof Error ? error.message : String(error) }));
      },
    );
  });
  await new Promise<void>((resolve, reject) => broker.once('error', reject).listen(0, '127.0.0.1', () => resolve()));
  project.provide('chromiumBroker', `http://127.0.0.1:${(broker.address() as AddressInfo).port}/browser`);
  return async () => {
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    // A failed launch was already the answer of every ask (and failed those tests): nothing to close then.
    if (launched)
      await launched.then(
        (browser) => browser.close(),
        () => undefined,
      );
  };
}
