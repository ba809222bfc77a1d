/** The committed `schema.graphql` is the schema the code builds, and keeps docs/architecture.md, "GraphQL contract"'s names. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { schemaSdl } from '../../src/graphql/schema-file.js';

const committed = readFileSync(new URL('../../schema.graphql', import.meta.url), 'utf8');

describe('schema.graphql', () => {
  it('matches the schema built from the resolvers (run `npm run schema` after changing them)', async () => {
    expect(committed).toBe(await schemaSdl());
  });

  it.each([
    'scalar DateTime',
    'scalar JSON',
    'enum HandoffState',
    'type Handoff {',
    'type HandoffError {',
    'type Call {',
    'input SignalContactInput {',
    'type SignalContactPayload {',
    'type HandoffConnection {',
    'handoffStatus(contactId: String!): Handoff',
    'handoff(id: ID!): Handoff',
    'handoffs(after: String, contactId: String, first: Int = 20, state: HandoffState): HandoffConnection!',
    'signalContact(input: SignalContactInput!): SignalContactPayload!',
    'registerCall(sipInvite: String!): Call!',
    'retryHandoff(id: ID!): SignalContactPayload!',
    'type Subscription {',
    'handoffChanged(contactId: String): Handoff!',
  ])('declares %s', (text) => {
    expect(committed).toContain(text);
  });
});
