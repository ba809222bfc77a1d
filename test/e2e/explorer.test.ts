/**
 * The explorer in a real browser (headless Debian chromium through playwright-core), served by the
 * dev stack `npm start` runs (scripts/dev-stack.ts) on free ports: the page renders offline, opens
 * with the dev launcher's examples, and "run" on the signalContact tab signals the example call,
 * with every request going to the gateway's own origin. In production the explorer is not served.
 *
 * Leaves a screenshot in test-results/explorer.png (docs/explorer.png is a committed copy).
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEV_KEYS, devExplorerTabs, startDevStack, type DevStack } from '../../scripts/dev-stack.js';
import { copyPgliteTemplate } from '../helpers/pglite.js';
import { CHROMIUM, launchBrowser } from '../helpers/browser.js';
import { gql, SIGNAL, startStack, type Stack } from '../helpers/stack.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

describe.skipIf(CHROMIUM === null)('explorer in a browser (dev stack)', () => {
  let dataDir: string;
  let stack: DevStack;
  let browser: Browser;
  beforeAll(async () => {
    // The dev stack opens a copy of the PGlite template (no initdb in the test).
    dataDir = join(await mkdtemp(join(tmpdir(), 'cxgw-explorer-')), 'pglite');
    await copyPgliteTemplate(dataDir);
    [stack, browser] = await Promise.all([
      startDevStack({ port: 0, simPort: 0, dataDir, tenantsFile: join(root, 'config', 'tenants.dev.json'), env: { LOG_LEVEL: 'silent' } }),
      launchBrowser(),
    ]);
  });
  afterAll(async () => {
    try {
      await browser?.close();
    } finally {
      await stack?.close();
      await rm(dirname(dataDir), { recursive: true, force: true });
    }
  });

  it('opens with the dev examples and signals the example call from the signalContact tab, same-origin only', async () => {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    const requested: string[] = [];
    page.on('request', (request) => requested.push(request.url()));
    const consoleErrors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(`${message.text()} (${message.location().url})`);
    });

    const response = await page.goto(`${stack.gatewayUrl}/`);
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-type']).toBe('text/html; charset=utf-8');

    // The first tab: the example call's contact id in the variables, the signal key in the headers pane.
    const queryEditor = page.locator('.graphiql-query-editor');
    await expect.poll(() => queryEditor.innerText(), { timeout: 15_000 }).toContain('mutation SignalContact');
    const toolPane = page.locator('section.graphiql-editor-tool');
    await expect.poll(() => toolPane.innerText()).toContain(`"Authorization": "Bearer ${DEV_KEYS.signal}"`);
    await page.locator('.graphiql-editor-tools').getByRole('button', { name: 'Variables' }).click();
    await expect.poll(() => toolPane.innerText()).toContain(`"contactId": "${stack.exampleContactId}"`);

    await page.locator('.graphiql-execute-button').click();
    const result = page.locator('.graphiql-response');
    await expect.poll(() => result.innerText(), { timeout: 15_000 }).toContain('"SIGNALED"');
    expect(await result.innerText()).toContain(`"contactId": "${stack.exampleContactId}"`);

    const signals = (await (await fetch(`${stack.simulatorUrl}/_sim/signals?contactId=${stack.exampleContactId}`)).json()) as { params: string[] }[];
    expect(signals.map((s) => s.params)).toEqual([['billing', 'gold']]);

    const origin = new URL(stack.gatewayUrl).origin;
    expect(requested.length).toBeGreaterThan(4);
    expect(requested.filter((url) => new URL(url).origin !== origin)).toEqual([]);
    expect(consoleErrors).toEqual([]);

    await mkdir(join(root, 'test-results'), { recursive: true });
    await page.screenshot({ path: join(root, 'test-results', 'explorer.png') });
    await page.close();
  });

  it('the handoffStatus tab reads the handoff with the read key', async () => {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    await page.goto(`${stack.gatewayUrl}/`);
    await page.getByRole('tab', { name: 'HandoffStatus' }).click();
    const toolPane = page.locator('section.graphiql-editor-tool');
    await expect.poll(() => toolPane.innerText(), { timeout: 15_000 }).toContain(`"Authorization": "Bearer ${DEV_KEYS.read}"`);
    // Ctrl-Enter runs the operation under the cursor, so put the cursor in it, as a user would.
    await page.locator('.graphiql-query-editor .CodeMirror-line', { hasText: 'handoffStatus(contactId' }).click();
    const result = page.locator('.graphiql-response');
    // GraphiQL re-parses the editor a moment after a tab switch; a run before that names the previous
    // tab's operation ("Unknown operation"), so run again until the answer carries data.
    await expect
      .poll(
        async () => {
          const text = await result.innerText();
          if (!text.includes('"data"')) await page.keyboard.press('Control+Enter');
          return text;
        },
        { timeout: 15_000, interval: 300 },
      )
      .toContain('"SIGNALED"');
    expect(await result.innerText()).toContain('"context": {');
    await page.close();
  });

  it('the HandoffChanged tab subscribes over graphql-ws on the same origin and shows a live event', async () => {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    const requested: string[] = [];
    page.on('request', (request) => requested.push(request.url()));
    const consoleErrors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    const sockets: string[] = [];
    const sent: string[] = [];
    page.on('websocket', (socket) => {
      sockets.push(socket.url());
      socket.on('framesent', (frame) => sent.push(String(frame.payload)));
    });

    await page.goto(`${stack.gatewayUrl}/`);
    await page.getByRole('tab', { name: 'HandoffChanged' }).click();
    const toolPane = page.locator('section.graphiql-editor-tool');
    await expect.poll(() => toolPane.innerText(), { timeout: 15_000 }).toContain(`"Authorization": "Bearer ${DEV_KEYS.read}"`);
    // GraphiQL re-parses the editor a moment after a tab switch, and a run before that names the
    // previous tab's operation: the gateway answers 400 "Unknown operation named …", which the
    // browser logs as a console error. Those answers are counted, and only that many such console
    // lines are forgiven below; any other console error fails the test.
    const raced: string[] = [];
    page.on('response', (response) => {
      if (response.status() !== 400 || !response.url().endsWith('/graphql')) return;
      void response.text().then((body) => {
        if (/Unknown operation named/.test(body)) raced.push(body);
      }, () => undefined);
    });
    await page.locator('.graphiql-query-editor .CodeMirror-line', { hasText: /^\s*handoffChanged \{/ }).click();
    const result = page.locator('.graphiql-response');
    // If the run named the previous tab's operation, run again (a second run of a live subscription would stop it).
    await page.keyboard.press('Control+Enter');
    await expect
      .poll(
        async () => {
          if (sent.some((frame) => frame.includes('"subscribe"'))) return 'subscribed';
          if ((await result.innerText()).includes('"errors"')) await page.keyboard.press('Control+Enter');
          return 'waiting';
        },
        { timeout: 15_000, interval: 500 },
      )
      .toBe('subscribed');
    // The key went in connection_init, the socket to the gateway's own host and path.
    expect(sent.find((frame) => frame.includes('"connection_init"'))).toContain(`Bearer ${DEV_KEYS.read}`);
    expect(sockets).toEqual([`${stack.gatewayUrl.replace(/^http/, 'ws')}/graphql`]);

    // A new call is handed off while the page watches.
    const call = (await (
      await fetch(`${stack.simulatorUrl}/_sim/calls`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ pseudoNumber: '+15550100001' }) })
    ).json()) as { contactId: string };
    const signalled = await gql<{ signalContact: { handoff: { state: string } } }>(stack.gatewayUrl, DEV_KEYS.signal, SIGNAL, { input: { contactId: call.contactId, params: ['live'] } });
    expect(signalled.body?.data?.signalContact.handoff.state).toBe('SIGNALED');
    await expect.poll(() => result.innerText(), { timeout: 15_000 }).toContain(`"contactId": "${call.contactId}"`);
    await expect.poll(() => result.innerText(), { timeout: 15_000 }).toContain('"SIGNALED"');

    const origin = new URL(stack.gatewayUrl).origin;
    expect(requested.filter((url) => new URL(url).origin !== origin)).toEqual([]);
    const badRequest = 'Failed to load resource: the server responded with a status of 400 (Bad Request)';
    expect(consoleErrors.filter((line) => line === badRequest).length).toBeLessThanOrEqual(raced.length);
    expect(consoleErrors.filter((line) => line !== badRequest)).toEqual([]);
    await page.close();
  }, 90_000);

  it("the Handoff API panel asks the REST route with the dev project and read key, same-origin only", async () => {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    const requested: string[] = [];
    page.on('request', (request) => requested.push(request.url()));
    await page.goto(`${stack.gatewayUrl}/`);
    await page.getByRole('button', { name: 'Show Handoff API' }).click();
    const panel = page.getByTestId('handoff-api');
    await expect.poll(() => panel.getByLabel('shared_id').inputValue(), { timeout: 15_000 }).toBe(stack.exampleContactId);
    expect(await panel.getByLabel('x-api-key').inputValue()).toBe(DEV_KEYS.read);
    await panel.getByRole('button', { name: 'Send GET' }).click();
    const answer = page.getByTestId('handoff-api-result');
    // The first test signalled the example contact.
    await expect.poll(() => answer.innerText(), { timeout: 15_000 }).toContain('HTTP 200');
    expect(await answer.innerText()).toContain(`"shared_id": "${stack.exampleContactId}"`);
    expect(await answer.innerText()).toContain('"state": "SIGNALED"');

    await panel.getByLabel('x-api-key').fill('not-a-key');
    await panel.getByRole('button', { name: 'Send GET' }).click();
    await expect.poll(() => answer.innerText()).toContain('HTTP 401');

    const apiCalls = requested.filter((url) => url.includes('/handoff_state'));
    expect(apiCalls).toHaveLength(2);
    expect(apiCalls[0]).toBe(`${stack.gatewayUrl}/v1/ws-demo/PROJECT-demo/handoff_state?shared_id=${stack.exampleContactId}`);
    const origin = new URL(stack.gatewayUrl).origin;
    expect(requested.filter((url) => new URL(url).origin !== origin)).toEqual([]);
    await page.close();
  }, 90_000);

  it.each([
    { stored: 'tabs of an earlier start (another example contact)', sameOffer: false, expected: 'mutation SignalContact' },
    { stored: "the user's own tabs, with the same tabs on offer", sameOffer: true, expected: 'query Mine' },
  ])('on a later visit with $stored, opens with $expected', async ({ sameOffer, expected }) => {
    const page = await browser.newPage();
    // Fill the origin's storage from a page without GraphiQL, which would overwrite it.
    await page.goto(`${stack.gatewayUrl}/healthz`);
    const tabs = JSON.stringify(devExplorerTabs(stack.exampleContactId));
    await page.evaluate(({ keep, tabs }) => {
      localStorage.setItem('cxgw:explorer-tabs', keep ? tabs : '[{"query":"an earlier offer"}]');
      const mine = { id: 'mine', hash: null, title: 'Mine', query: 'query Mine { __typename }', variables: null, headers: null, operationName: null, response: null };
      localStorage.setItem('graphiql:tabState', JSON.stringify({ activeTabIndex: 0, tabs: [mine] }));
      localStorage.setItem('graphiql:query', mine.query);
    }, { keep: sameOffer, tabs });
    await page.goto(`${stack.gatewayUrl}/`);
    await expect.poll(() => page.locator('.graphiql-query-editor').innerText(), { timeout: 15_000 }).toContain(expected);
    await page.close();
  });
});

describe('explorer in production (NODE_ENV=production)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ env: { NODE_ENV: 'production' } });
  });
  afterAll(async () => await stack?.close());

  it.each(['/', '/graphql', '/explorer/assets/graphiql.min.js'])('does not serve the explorer at %s to a browser', async (path) => {
    const res = await fetch(`${stack.gatewayUrl}${path}`, { headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.headers.get('content-type') ?? '').not.toContain('text/html');
    expect(await res.text()).not.toContain('<script');
  });
});
