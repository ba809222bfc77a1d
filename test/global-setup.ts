/**
 * The integration project's global setup: compiles the project (child-process tests run `dist/`),
 * starts one throw-away PostgreSQL cluster that suites share through `inject('postgresUrl')` (each
 * suite creates its own database in it), and makes sure the PGlite template exists (stacks copy it
 * instead of running initdb). Its teardown fails the run if a test left a process running.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { type TestProject } from 'vitest/node';
import { ensurePgliteTemplate } from './helpers/pglite.js';
import { startTempPostgres, type TempPostgres } from './helpers/postgres.js';
import { assertNoLeftoverProcesses } from './helpers/processes.js';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string;
  }
}

let postgres: TempPostgres | undefined;

export async function setup(project: TestProject): Promise<void> {
  // tsc emits even when it finds type errors; `npm run typecheck` is where those fail the build, so
  // a type error elsewhere does not stop suites that only need the emitted JavaScript.
  const build = promisify(execFile)('npx', ['tsc', '-b', 'tsconfig.build.json'], { cwd: project.config.root }).catch(
    (error: { stdout?: string }) => console.warn(`tsc reported errors while building dist/:\n${error.stdout ?? ''}`),
  );
  const [, started] = await Promise.all([build, startTempPostgres(), ensurePgliteTemplate()]);
  postgres = started;
  project.provide('postgresUrl', postgres.url);
}

export async function teardown(): Promise<void> {
  await postgres?.destroy();
  assertNoLeftoverProcesses('integration');
}
