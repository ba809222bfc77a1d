/**
 * Two tenants on two simulator business units: each sees only its own data (another tenant's reads
 * as "not found"), registerCall refuses another tenant's pseudo number, and pages walk a tenant's
 * handoffs exactly once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GqlResult, startStack, type Stack } from '../helpers/stack.js';
import { BY_ID, firstError, LIST, REGISTER, RETRY, signal, STATUS } from './gateway-operations.js';
import { ACME, GLOBEX, TWO_TENANT_SEED as seed } from '../helpers/two-tenants.js';

interface Page {
  edges: { node: { id: string } }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

describe('tenant isolation', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ tenants: [ACME, GLOBEX], simulator: { seed } });
  });
  afterAll(async () => await stack?.close());

  it("signals through each tenant's own CXone credentials and keeps each tenant's data to itself", async () => {
    const acmeCall = await stack.sim.createCall({ pseudoNumber: ACME.pseudoNumbers[0] });
    const globexCall = await stack.sim.createCall({ pseudoNumber: GLOBEX.pseudoNumbers[0] });

    // The globex INVITE carries its contact id in the tenant's own header.
    expect(globexCall.invite).toContain(`X-Globex-Contact: ${globexCall.contactId}`);
    const registered = await stack.gql(REGISTER, { sipInvite: globexCall.invite }, 'globex-signal');
    expect(registered.body.data).toMatchObject({ registerCall: { contactId: globexCall.contactId, pseudoNumber: GLOBEX.pseudoNumbers[0] } });

    const a = await signal(stack, { contactId: acmeCall.contactId, params: ['acme'] }, 'acme-signal');
    const g = await signal(stack, { contactId: globexCall.contactId, params: ['globex'] }, 'globex-signal');
    expect([a.state, g.state]).toEqual(['SIGNALED', 'SIGNALED']);
    expect((await stack.sim.signals(acmeCall.contactId)).map((s) => s.params)).toEqual([['acme']]);
    expect((await stack.sim.signals(globexCall.contactId)).map((s) => s.params)).toEqual([['globex']]);

    // Another tenant's contact and handoff read as absent, never as forbidden.
    expect((await stack.gql(STATUS, { contactId: acmeCall.contactId }, 'globex-read')).body).toEqual({ data: { handoffStatus: null } });
    expect((await stack.gql(BY_ID, { id: a.id }, 'globex-read')).body).toEqual({ data: { handoff: null } });
    const retry = await stack.gql(RETRY, { id: a.id }, 'globex-signal');
    expect(firstError(retry)?.code).toBe('NOT_FOUND');
    const list = await stack.gql<{ handoffs: { edges: { node: { id: string } }[] } }>(LIST, { first: 100 }, 'globex-read');
    expect(list.body.data?.handoffs.edges.map((e) => e.node.id)).toEqual([g.id]);
  });

  it("answers FORBIDDEN to registerCall with another tenant's pseudo number", async () => {
    const acmeCall = await stack.sim.createCall({ pseudoNumber: ACME.pseudoNumbers[0] });
    const res = await stack.gql(REGISTER, { sipInvite: acmeCall.invite }, 'globex-signal');
    expect([res.status, firstError(res)?.code]).toEqual([403, 'FORBIDDEN']);
  });

  it('pages through handoffs with first/after, each exactly once, and filters by state and contact', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const call = await stack.sim.createCall({ pseudoNumber: ACME.pseudoNumbers[0] });
      ids.push((await signal(stack, { contactId: call.contactId, params: [`page-${i}`] }, 'acme-signal')).id);
    }
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    for (;;) {
      const res: GqlResult<{ handoffs: Page }> = await stack.gql<{ handoffs: Page }>(LIST, { first: 2, after }, 'acme-read');
      const page: Page | undefined = res.body.data?.handoffs;
      if (!page) throw new Error(JSON.stringify(res.body));
      pages++;
      seen.push(...page.edges.map((e) => e.node.id));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual(expect.arrayContaining(ids));
    expect(seen).toHaveLength(6); // the five above and the one from the first test
    expect(pages).toBe(3);

    const failedOnly = await stack.gql<{ handoffs: { edges: unknown[] } }>(LIST, { state: 'FAILED' }, 'acme-read');
    expect(failedOnly.body.data?.handoffs.edges).toEqual([]);
  });
});
