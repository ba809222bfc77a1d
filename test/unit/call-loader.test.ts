/**
 * `Handoff.call` reads through a per-execution DataLoader (issue 13, defect 3): N aliases of `call`
 * are one store read per distinct (tenant, contact) per query, and per event for subscriptions, with
 * no answer carried over from one execution (or event) to the next. Executed on the schema directly
 * (no operation limits in the way), with a spy counting the reads.
 */
import { type ExecutionResult, parse, subscribe, execute } from 'graphql';
import { describe, expect, it } from 'vitest';
import { type Tenant } from '../../src/config/tenant.js';
import { type GatewayContext } from '../../src/graphql/context.js';
import { HANDOFF_CHANGED } from '../../src/graphql/handoff-feed.js';
import { InProcessPubSub } from '../../src/graphql/pub-sub.js';
import { buildGatewaySchema } from '../../src/graphql/schema.js';
import { type Call, type Handoff, type ParsedInvite } from '../../src/handoff/model.js';
import { createLogger } from '../../src/common/logger.js';
import { FakeHandoffs } from './graphql-fake-handoffs.js';

const TENANT = { id: 'acme', pseudoNumbers: ['+15550100001'], contactIdHeader: 'X-ContactID', keys: [] } as unknown as Tenant;
const log = createLogger({ level: 'silent' });
const context = (): GatewayContext => ({ caller: { tenant: TENANT, scope: 'read', keyName: 'r' }, requestId: 'r1', log });

/** FakeHandoffs whose getCall counts its reads. */
class SpyCalls extends FakeHandoffs {
  reads: string[] = [];
  override async getCall(tenantId: string, contactId: string): Promise<Call | null> {
    this.reads.push(`${tenantId}/${contactId}`);
    return await super.getCall(tenantId, contactId);
  }
}

const invite = (contactId: string): ParsedInvite => ({ requestUri: 'sip:x', pseudoNumber: '+15550100001', from: null, callId: `c-${contactId}`, contactId, masterContactId: null, cxoneContext: { standard: null, custom: null, extended: null }, warnings: [] });
const aliases = (n: number, field: string): string => Array.from({ length: n }, (_, i) => `a${i}: ${field}`).join(' ');

async function setup() {
  const fake = new SpyCalls();
  const pubSub = new InProcessPubSub();
  const schema = await buildGatewaySchema({
    handoffs: fake,
    calls: fake,
    tenants: { ownerOfNumber: () => TENANT, tenants: [TENANT] },
    parseInvite: () => invite('1'),
    limits: { maxParamLength: 256, maxContextBytes: 16_384, maxContextDepth: 32, maxSipInviteBytes: 16_384 },
    pubSub,
  });
  return { fake, pubSub, schema };
}

describe('Handoff.call batching', () => {
  it('300 aliases of call on one handoff are one store read', async () => {
    const { fake, schema } = await setup();
    await fake.registerCall('acme', invite('11'));
    await fake.signal('acme', { contactId: '11', params: [], context: null, idempotencyKey: null });
    const result = await execute({ schema, document: parse(`{ handoffStatus(contactId: "11") { ${aliases(300, 'call { contactId }')} } }`), contextValue: context() });
    expect(result.errors).toBeUndefined();
    expect(Object.values(result.data?.['handoffStatus'] as object)).toHaveLength(300);
    expect(fake.reads).toEqual(['acme/11']);
  });

  it('a page of handoffs reads each distinct contact once, and the next request reads again', async () => {
    const { fake, schema } = await setup();
    for (const contactId of ['21', '22', '21', '23', '22']) await fake.signal('acme', { contactId, params: [], context: null, idempotencyKey: null });
    await fake.registerCall('acme', invite('21'));
    const document = parse(`{ handoffs(first: 10) { edges { node { contactId ${aliases(20, 'call { pseudoNumber }')} } } } }`);
    const first = await execute({ schema, document, contextValue: context() });
    expect(first.errors).toBeUndefined();
    expect([...fake.reads].sort()).toEqual(['acme/21', 'acme/22', 'acme/23']);

    await fake.registerCall('acme', invite('22'));
    const second = (await execute({ schema, document, contextValue: context() })) as ExecutionResult<{ handoffs: { edges: { node: { contactId: string; a0: Call | null } }[] } }>;
    expect(fake.reads).toHaveLength(6);
    // A new request is a new loader: the call registered in between is seen.
    expect(second.data?.handoffs.edges.find((e) => e.node.contactId === '22')?.node.a0).toMatchObject({ pseudoNumber: '+15550100001' });
  });

  it('subscriptions: one read per distinct contact per event, shared by the subscribers of the event, fresh at each event', async () => {
    const { fake, pubSub, schema } = await setup();
    const handoff = await fake.signal('acme', { contactId: '31', params: [], context: null, idempotencyKey: null });
    const document = parse(`subscription { handoffChanged { id ${aliases(15, 'call { contactId }')} } }`);
    const streams = await Promise.all(
      Array.from({ length: 5 }, async () => (await subscribe({ schema, document, contextValue: context() })) as AsyncIterableIterator<ExecutionResult>),
    );

    const deliver = async (event: Handoff): Promise<ExecutionResult[]> => {
      const next = streams.map(async (s) => (await s.next()).value as ExecutionResult);
      pubSub.publish(HANDOFF_CHANGED, 'acme', event);
      return await Promise.all(next);
    };

    const first = await deliver({ ...handoff });
    expect(first.every((r) => r.errors === undefined && (r.data?.['handoffChanged'] as Record<string, unknown>)['a0'] === null)).toBe(true);
    expect(fake.reads).toEqual(['acme/31']);

    await fake.registerCall('acme', invite('31'));
    const second = await deliver({ ...handoff });
    expect(fake.reads).toEqual(['acme/31', 'acme/31']);
    expect(second.map((r) => (r.data?.['handoffChanged'] as Record<string, unknown>)['a14'])).toEqual(Array.from({ length: 5 }, () => ({ contactId: '31' })));
    await Promise.all(streams.map(async (s) => await s.return?.()));
  });
});
