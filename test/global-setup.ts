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
  await promisify(execFile)('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: project.config.root });
  postgres = await startTempPostgres();
  project.provide('postgresUrl', postgres.url);
}

export async function teardown(): Promise<void> {
  await postgres?.destroy();
}
