/**
 * The simulator's agent desktop in a real browser (headless Debian chromium through playwright-core),
 * on the dev stack `npm start` runs (scripts/dev-stack.ts) on free ports: a call placed on the
 * simulator appears live; after the voice agent's signalContact, the contact's timeline shows the
 * signal, the Onsignal and the agent answering, and the screen-pop shows what the gateway's Handoff
 * API returns. Every request stays on the simulator's origin (the screen-pop goes through its
 * proxy) and the console stays clean.
 *
 * Leaves a screenshot in test-results/agent-desktop.png (docs/agent-desktop.png is a committed copy).
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEV_KEYS, startDevStack, type DevStack } from '../../scripts/dev-stack.js';
import { DEMO } from '../../simulator/index.js';
import { copyPgliteTemplate } from '../helpers/pglite.js';
import { CHROMIUM, launchBrowser } from '../helpers/browser.js';
import { gql, SIGNAL } from '../helpers/stack.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

async function placeCall(simulatorUrl: string, from: string): Promise<string> {
  const res = await fetch(`${simulatorUrl}/_sim/calls`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ pseudoNumber: DEMO.pseudoNumber, from }) });
  return ((await res.json()) as { contactId: string }).contactId;
}

describe.skipIf(CHROMIUM === null)('agent desktop in a browser (dev stack)', () => {
  let dataDir: string;
  let stack: DevStack;
  let browser: Browser;
  beforeAll(async () => {
    dataDir = join(await mkdtemp(join(tmpdir(), 'cxgw-desktop-')), 'pglite');
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

  it('shows a call, its timeline after signalContact and the screen-pop from the gateway, same-origin only', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 760 } });
    const requested: string[] = [];
    page.on('request', (request) => requested.push(request.url()));
    const consoleErrors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(`${message.text()} (${message.location().url})`);
    });

    const response = await page.goto(stack.desktopUrl);
    expect(response?.status()).toBe(200);

    // The example call of the dev stack is listed; a new call appears without reloading.
    await expect.poll(() => page.locator(`[data-contact-id="${stack.exampleContactId}"]`).count(), { timeout: 15_000 }).toBe(1);
    const contactId = await placeCall(stack.simulatorUrl, '+15557654321');
    const card = page.locator(`[data-contact-id="${contactId}"]`);
    await expect.poll(() => card.count(), { timeout: 15_000 }).toBe(1);
    expect(await card.locator('.timeline li').allInnerTexts()).toEqual([expect.stringContaining('Call from +15557654321 to +15550100001')]);
    expect(await card.getByTestId('screen-pop').innerText()).toContain('No handoff yet');

    // The voice agent hands the caller over.
    const signalled = await gql<{ signalContact: { handoff: { state: string } } }>(stack.gatewayUrl, DEV_KEYS.signal, SIGNAL, {
      input: { contactId, params: ['billing', 'gold'], context: { intent: 'dispute a charge', account: 'A-1042', customer: 'Dana Reyes' } },
    });
    expect(signalled.body?.data?.signalContact.handoff.state).toBe('SIGNALED');

    await expect.poll(() => card.getByTestId('handoff-state').innerText(), { timeout: 15_000 }).toBe('SIGNALED');
    const fields = await card.locator('.screen-pop dl').evaluate((list) => {
      const cells = Array.from(list.children, (cell) => cell).map((cell) => cell.textContent ?? '');
      return Object.fromEntries(cells.flatMap((cell, index) => (index % 2 === 0 ? [[cell, cells[index + 1]]] : [])));
    });
    expect(fields).toMatchObject({ p1: 'billing', p2: 'gold', intent: 'dispute a charge', account: 'A-1042', customer: 'Dana Reyes' });
    const kinds = () => card.locator('.timeline li').evaluateAll((items) => items.map((item) => item.getAttribute('data-kind')));
    expect(await kinds()).toEqual(['call', 'signal', 'onsignal']);
    expect(await card.locator('.timeline li[data-kind="signal"]').innerText()).toContain('p1=billing, p2=gold');
    expect(await card.locator('.timeline li[data-kind="onsignal"]').innerText()).toContain('Onsignal ran');
    // The demo script's agent answers 5 s after the Onsignal (simulator/timeline.ts).
    await expect.poll(kinds, { timeout: 20_000, interval: 500 }).toEqual(['call', 'signal', 'onsignal', 'agent']);

    // A second call waiting for the voice agent, for the picture.
    const waiting = await placeCall(stack.simulatorUrl, '+15551234567');
    await expect.poll(() => page.locator(`[data-contact-id="${waiting}"]`).count(), { timeout: 15_000 }).toBe(1);

    const origin = new URL(stack.simulatorUrl).origin;
    expect(requested.some((url) => url.includes(`/_sim/desktop/screen-pop/${contactId}`))).toBe(true);
    expect(requested.filter((url) => new URL(url).origin !== origin)).toEqual([]);
    expect(consoleErrors).toEqual([]);

    await mkdir(join(root, 'test-results'), { recursive: true });
    await page.screenshot({ path: join(root, 'test-results', 'agent-desktop.png') });
    await page.close();
  }, 120_000);
});
