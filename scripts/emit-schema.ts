/**
 * `npm run schema`: writes the sorted SDL of the gateway's schema to `schema.graphql` at the
 * repository root (committed; a unit test fails when it is stale).
 */
import 'reflect-metadata';
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { schemaSdl } from '../src/graphql/schema-file.js';

// Compiled to dist/scripts/, two levels below the repository root.
const target = fileURLToPath(new URL('../../schema.graphql', import.meta.url));
await writeFile(target, await schemaSdl());
console.log(`wrote ${target}`);
