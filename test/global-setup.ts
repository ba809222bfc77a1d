/**
 * Runs once per `npm test`: compiles the project (child-process tests run `dist/`) and starts one
 * throw-away PostgreSQL cluster that suites share through `inject('postgresUrl')`; each suite
 * creates its own database in it.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { type TestProject } from 'vitest/node';
import { startTempPostgres, type TempPostgres } from './helpers/postgres.js';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string;
  }
}

let postgres: TempPostgres | undefined;

export async function setup(project: TestProject): Promise<void> {
  // tsc emits even when it finds type errors; `npm run typecheck` is where those fail the build, so
  // a type error elsewhere does not stop suites that only need the emitted JavaScript.
  await promisify(execFile)('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: project.config.root }).catch(
    (error: { stdout?: string }) => console.warn(`tsc reported errors while building dist/:\n${error.stdout ?? ''}`),
  );
  postgres = await startTempPostgres();
  project.provide('postgresUrl', postgres.url);
}

export async function teardown(): Promise<void> {
  await postgres?.destroy();
}
