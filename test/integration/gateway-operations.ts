/** GraphQL documents and small helpers shared by the gateway integration suites. */
import { vi } from 'vitest';
import { type Stack } from '../helpers/stack.js';

export const HANDOFF_FIELDS = /* GraphQL */ `
  id contactId state params context attempts
  lastError { code message upstreamStatus at }
  call { contactId pseudoNumber from sipCallId receivedAt }
  createdAt updatedAt signaledAt
`;

export const SIGNAL = /* GraphQL */ `
  mutation Signal($input: SignalContactInput!) { signalContact(input: $input) { handoff { ${HANDOFF_FIELDS} } } }
`;
export const STATUS = /* GraphQL */ `query Status($contactId: String!) { handoffStatus(contactId: $contactId) { ${HANDOFF_FIELDS} } }`;
export const BY_ID = /* GraphQL */ `query ById($id: ID!) { handoff(id: $id) { ${HANDOFF_FIELDS} } }`;
export const LIST = /* GraphQL */ `
  query List($first: Int, $after: String, $state: HandoffState, $contactId: String) {
    handoffs(first: $first, after: $after, state: $state, contactId: $contactId) {
      edges { cursor node { id contactId state } }
      pageInfo { hasNextPage endCursor }
    }
  }
`;
export const REGISTER = /* GraphQL */ `
  mutation Register($sipInvite: String!) { registerCall(sipInvite: $sipInvite) { contactId pseudoNumber from sipCallId receivedAt } }
`;
export const RETRY = /* GraphQL */ `mutation Retry($id: ID!) { retryHandoff(id: $id) { handoff { ${HANDOFF_FIELDS} } } }`;

export interface HandoffView {
  id: string;
  contactId: string;
  state: 'PENDING' | 'SIGNALED' | 'FAILED';
  params: string[];
  context: unknown;
  attempts: number;
  lastError: { code: string; message: string; upstreamStatus: number | null; at: string } | null;
  call: { contactId: string; pseudoNumber: string; from: string | null; sipCallId: string | null; receivedAt: string } | null;
  createdAt: string;
  updatedAt: string;
  signaledAt: string | null;
}

/** Signals and returns the handoff; fails the test on GraphQL errors. */
export async function signal(stack: Stack, input: Record<string, unknown>, key?: string): Promise<HandoffView> {
  const res = await stack.gql<{ signalContact: { handoff: HandoffView } }>(SIGNAL, { input }, key);
  if (res.body.errors || !res.body.data) throw new Error(`signalContact failed: ${JSON.stringify(res.body.errors)}`);
  return res.body.data.signalContact.handoff;
}

/** Polls `handoffStatus` until the handoff leaves PENDING; the timeout only bounds a hang on a loaded machine. */
export async function settled(stack: Stack, contactId: string, key?: string, timeoutMs = 30_000): Promise<HandoffView> {
  return await vi.waitFor(
    async () => {
      const res = await stack.gql<{ handoffStatus: HandoffView | null }>(STATUS, { contactId }, key);
      const handoff = res.body.data?.handoffStatus;
      if (!handoff || handoff.state === 'PENDING') throw new Error(`handoff of ${contactId} still ${handoff?.state ?? 'missing'}`);
      return handoff;
    },
    { timeout: timeoutMs, interval: 100 },
  );
}

export function firstError(res: { body: { errors?: readonly { extensions?: Record<string, unknown> }[] } }): Record<string, unknown> | undefined {
  return res.body.errors?.[0]?.extensions;
}
