/**
 * GraphQL over HTTP conformance (issue 7): graphql-http's `serverAudits` against a gateway child
 * process, one test per audit. Every MUST passes; SHOULD/MAY results are reported (a warn is a
 * recommendation the gateway does not follow) and listed in docs/reliability.md.
 *
 * The audits' fetch carries a read key (the gateway answers UNAUTHENTICATED to unknown keys only,
 * but reads need one) and `apollo-require-preflight`, which Apollo Server's CSRF prevention asks of
 * GET requests without a JSON content type.
 */
import { serverAudits } from 'graphql-http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness, TENANT_A } from '../helpers/stack.js';

let baseUrl = '';
const audits = serverAudits({
  url: () => `${baseUrl}/graphql`,
  fetchFn: async (input: string | URL | Request, init?: RequestInit) => {
    const headers = new Headers(init?.headers);
    headers.set('authorization', `Bearer ${TENANT_A.keys.read}`);
    headers.set('apollo-require-preflight', 'true');
    return await fetch(input, { ...init, headers });
  },
});

const results: { id: string; name: string; status: string; reason?: string }[] = [];

describe(`GraphQL over HTTP: graphql-http server audits (${audits.length})`, () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ env: { LOG_LEVEL: 'info' } });
    // Several audits query `__type`, so introspection must be on (the development default).
    baseUrl = (await h.spawn({ NODE_ENV: 'development' })).url;
  });
  afterAll(async () => {
    const rows = results.map((r) => `| ${r.id} | ${r.name.replaceAll('|', '\\|')} | ${r.status}${r.reason ? ` (${r.reason.replaceAll('|', '\\|').slice(0, 120)})` : ''} |`);
    if (rows.length > 0) console.log(`\ngraphql-http audits:\n\n| id | audit | result |\n|---|---|---|\n${rows.join('\n')}\n`);
    await h?.close();
  });

  it.each(audits.map((audit) => [`${audit.id} ${audit.name}`, audit] as const))('%s', async (_title, audit) => {
    const result = await audit.fn();
    results.push({ id: audit.id, name: audit.name, status: result.status, ...(result.status === 'ok' ? {} : { reason: result.reason }) });
    if (audit.name.startsWith('MUST')) expect(result, 'reason' in result ? result.reason : '').toMatchObject({ status: 'ok' });
    // A SHOULD or MAY the gateway does not follow is a warn or notice, never an error.
    else expect(['ok', 'warn', 'notice']).toContain(result.status);
  });
});
