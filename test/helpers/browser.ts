/**
 * Debian's chromium for the browser suites, driven by playwright-core (never a downloaded browser).
 * `CHROMIUM` is null when it is not installed (the suite skips, except under CXGW_REQUIRE_TOOLS=1).
 */
import { chromium, type Browser } from 'playwright-core';
import { OWNER_ENV } from './processes.js';
import { requireTool } from './tools.js';

export const CHROMIUM = requireTool('chromium');
const BROWSER_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

/**
 * The browser, marked as this checkout's (OWNER_ENV) so the global teardown finds it if a close was
 * missed; playwright starts it in a process group of its own and kills that group on close.
 */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM ?? 'chromium', headless: true, args: BROWSER_ARGS, env: { ...process.env, ...OWNER_ENV } });
}
