import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  browserOutputPath,
  chromiumInstalled,
  disconnectBrowser,
  isolatedContext,
  sharedBrowser,
  type IsolatedContext,
} from '../helpers/chromium.js';
import { lastDays } from '../helpers/dates.js';
import { dataOf } from '../helpers/graphql-client.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { jobsEnv, uniquePrefix } from '../jobs-helpers.js';

/**
 * LANDING_PAGE=graphiql in a real Chromium whose network reaches nothing but our server:
 * the page loads (every asset from us), takes the key in its header editor, runs a query
 * and a subscription over graphql-ws, and loads the schema. test/landing-page.test.ts
 * covers the same page at the HTTP level.
 */

/** Monaco renders spaces as U+00A0. */
const textOf = async (page: Page, selector: string) => (await page.locator(selector).innerText()).replace(/\u00a0/g, ' ');
const HEADER_EDITOR = '.graphiql-editor-tool .graphiql-editor:not(.hidden)';
const QUERY_EDITOR = '.graphiql-query-editor';
const RESPONSE = '.graphiql-response';

describe.skipIf(!chromiumInstalled())('GraphiQL in Chromium, cut off from every origin but ours', () => {
  let server: TestServer;
  let isolated: IsolatedContext;
  let page: Page;
  const pageErrors: string[] = [];
  const policyViolations: string[] = [];

  beforeAll(async () => {
    server = await startTestServer({
      env: { LANDING_PAGE: 'graphiql', ...jobsEnv('postgres', uniquePrefix('graphiql'), { WORKERS: 'inline' }) },
    });
    // The page waits for its bundle: a cold build (fresh clone, changed sources) takes a while, so it happens here, within the hook's time.
    expect((await fetch(server.url, { headers: { accept: 'text/html' } })).status).toBe(200);
    isolated = await isolatedContext(await sharedBrowser(), [new URL(server.url).origin]);
    page = await isolated.context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (/Content.Security.Policy/i.test(message.text())) policyViolations.push(message.text());
    });
  });
  afterAll(async () => {
    await isolated?.context.close();
    await disconnectBrowser();
    await server?.stop();
  });

  /**
   * Replaces the operation editor's text by typing it, as a user would (Monaco closes
   * brackets and quotes; typing over them keeps the text), and waits until GraphiQL has
   * parsed it: the tab takes the operation's name (`<untitled>` for an anonymous one), or
   * a run right away would still send the previous operation's name.
   */
  async function typeOperation(text: string, tabTitle: string): Promise<void> {
    await page.locator(`${QUERY_EDITOR} .monaco-editor`).click();
    await page.keyboard.press('Control+A');
    await page.keyboard.press('Delete');
    await page.keyboard.type(text);
    await expect.poll(() => textOf(page, `${QUERY_EDITOR} .view-lines`)).toBe(text);
    await expect.poll(() => page.locator('.graphiql-tab-active').innerText()).toBe(tabTitle);
  }

  it('opens at /graphql with the header editor pre-filled with "Authorization: Bearer "', async () => {
    const response = await page.goto(server.url);
    expect(response?.status()).toBe(200);
    await page.locator(HEADER_EDITOR).waitFor();
    await expect.poll(() => textOf(page, `${HEADER_EDITOR} .view-lines`)).toMatch(/^\{\s*"Authorization": "Bearer "\s*\}$/);
  });

  it('runs { metrics { uptimeSeconds } } with the key typed into the header editor and shows the result', async () => {
    // After "Bearer " on line 2, inside the closing quote.
    await page.locator(`${HEADER_EDITOR} .monaco-editor`).click();
    for (const key of ['Control+End', 'ArrowUp', 'End', 'ArrowLeft']) await page.keyboard.press(key);
    await page.keyboard.type(server.adminKey);
    await expect.poll(() => textOf(page, `${HEADER_EDITOR} .view-lines`)).toContain(`"Bearer ${server.adminKey}"`);
    await page.keyboard.press('Home');

    await typeOperation('{ metrics { uptimeSeconds } }', '<untitled>');
    await page.locator('.graphiql-execute-button').click();
    await expect.poll(() => textOf(page, `${RESPONSE} .view-lines`), { timeout: 15_000 }).toMatch(/"uptimeSeconds": \d+(\.\d+)?/);
    await page.screenshot({ path: browserOutputPath('graphiql-metrics.png') });
  });

  it("loads the schema once the key is in (introspection with the header editor's key)", async () => {
    await page.getByRole('button', { name: 'Show Documentation Explorer' }).click();
    await expect.poll(() => page.locator('.graphiql-doc-explorer').innerText(), { timeout: 15_000 }).toMatch(/Query/);
    await page.getByRole('button', { name: 'Hide Documentation Explorer' }).click();
  });

  it("runs a subscription over graphql-ws with the header editor's key in connectionParams", async () => {
    const job = dataOf(
      await server.request('mutation($range: DateRange!) { generateReport(kind: DAILY_SALES, range: $range, storeIds: ["1"]) { id } }', {
        variables: { range: lastDays(7) },
      }),
    ).generateReport;
    const sockets: string[] = [];
    page.on('websocket', (socket) => sockets.push(socket.url()));

    await typeOperation(`subscription ReportJob { jobEvents(jobId: "${job.id}") { jobId type } }`, 'ReportJob');
    await page.locator('.graphiql-execute-button').click();
    await expect.poll(() => textOf(page, `${RESPONSE} .view-lines`), { timeout: 30_000 }).toMatch(/"type": "COMPLETED"/);
    expect(await textOf(page, `${RESPONSE} .view-lines`)).toContain(`"jobId": "${job.id}"`);
    expect(sockets).toEqual([server.url.replace(/^http/, 'ws')]);
  });

  it('reached no other origin, broke no Content-Security-Policy rule and threw no error', () => {
    expect(isolated.refused).toEqual([]);
    expect(policyViolations).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
