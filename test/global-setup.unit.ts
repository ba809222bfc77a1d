/**
 * The unit project's global setup: no build and no PostgreSQL, only the PGlite template (made once
 * per install; see helpers/pglite.ts), so an edit-and-rerun loop starts in seconds. Its teardown
 * fails the run if a test left a process running.
 */
import { ensurePgliteTemplate } from './helpers/pglite.js';
import { assertNoLeftoverProcesses } from './helpers/processes.js';

export async function setup(): Promise<void> {
  await ensurePgliteTemplate();
}

export function teardown(): void {
  assertNoLeftoverProcesses('unit');
}
