// type-graphql needs the Reflect metadata API loaded before any decorated class is evaluated.
import 'reflect-metadata';
import { afterAll } from 'vitest';
import { killAllChildren } from './helpers/processes.js';

// Children a file's beforeAll started (a gateway, the simulator CLI) die with the file's suites,
// even when one of its tests timed out before its own cleanup ran.
afterAll(() => killAllChildren());
