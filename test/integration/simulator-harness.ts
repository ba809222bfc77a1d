/**
 * Shared helpers of the simulator suites: a simulator on port 0 torn down after the suite, a
 * two-business-unit seed (cross-BU 404, no-permission 403), and small HTTP helpers.
 */
import { afterAll, beforeAll } from 'vitest';
import { DEMO, startSimulator, type RunningSimulator, type SeedInput, type StartSimulatorOptions } from '../../simulator/index.js';

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A second tenant, plus an access key of the demo unit without the signal permission. */
export const OTHER = Object.freeze({
  tenantId: '22e85da0-0000-7e10-898c-0242ac110004',
  businessUnit: '4600002',
  clientId: 'other-client',
  clientSecret: 'other-client-secret',
  accessKeyId: 'other-access-key',
  accessKeySecret: 'other-access-secret',
  pseudoNumber: '+15550200002',
  contactIdHeader: 'X-Cxone-Contact',
  noSignalKeyId: 'read-only-key',
  noSignalKeySecret: 'read-only-secret',
});

export const TWO_UNIT_SEED: SeedInput = {
  businessUnits: [
    { tenantId: DEMO.tenantId, businessUnit: DEMO.businessUnit, pseudoNumbers: [DEMO.pseudoNumber] },
    { tenantId: OTHER.tenantId, businessUnit: OTHER.businessUnit, contactIdHeader: OTHER.contactIdHeader, pseudoNumbers: [OTHER.pseudoNumber] },
  ],
  apiClients: [
    { clientId: DEMO.clientId, clientSecret: DEMO.clientSecret, businessUnit: DEMO.businessUnit },
    { clientId: OTHER.clientId, clientSecret: OTHER.clientSecret, businessUnit: OTHER.businessUnit },
  ],
  accessKeys: [
    { accessKeyId: DEMO.accessKeyId, accessKeySecret: DEMO.accessKeySecret, businessUnit: DEMO.businessUnit, permissions: ['signal'] },
    { accessKeyId: OTHER.noSignalKeyId, accessKeySecret: OTHER.noSignalKeySecret, businessUnit: DEMO.businessUnit, permissions: [] },
    { accessKeyId: OTHER.accessKeyId, accessKeySecret: OTHER.accessKeySecret, businessUnit: OTHER.businessUnit, permissions: ['signal'] },
  ],
};

/** Starts a simulator before the suite's tests and closes it after them; read `.current` inside tests. */
export function useSimulator(options: StartSimulatorOptions = {}): { readonly current: RunningSimulator } {
  const handle: { current: RunningSimulator | undefined } = { current: undefined };
  beforeAll(async () => {
    handle.current = await startSimulator(options);
  });
  afterAll(async () => {
    await handle.current?.close();
  });
  return {
    get current(): RunningSimulator {
      if (handle.current === undefined) throw new Error('simulator not started yet');
      return handle.current;
    },
  };
}

export const basic = (id: string, secret: string): string => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

/** Runs the password grant and returns the token response. */
export async function passwordGrant(
  url: string,
  client: { id: string; secret: string } = { id: DEMO.clientId, secret: DEMO.clientSecret },
  key: { id: string; secret: string } = { id: DEMO.accessKeyId, secret: DEMO.accessKeySecret },
): Promise<{ access_token: string; refresh_token: string; expires_in: number; id_token: string; token_type: string }> {
  const response = await fetch(`${url}/auth/token`, {
    method: 'POST',
    headers: { authorization: basic(client.id, client.secret), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'password', username: key.id, password: key.secret }),
  });
  if (response.status !== 200) throw new Error(`token request failed: ${response.status} ${await response.text()}`);
  return (await response.json()) as Awaited<ReturnType<typeof passwordGrant>>;
}

/** `POST /_sim/calls`; returns the created call. */
export async function createCall(
  url: string,
  body: { pseudoNumber: string; from?: string; sipTarget?: string } = { pseudoNumber: DEMO.pseudoNumber },
): Promise<{ contactId: string; callId: string; businessUnit: string; invite: string }> {
  const response = await fetch(`${url}/_sim/calls`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (response.status !== 201) throw new Error(`create call failed: ${response.status} ${await response.text()}`);
  return (await response.json()) as Awaited<ReturnType<typeof createCall>>;
}

export async function postJson(url: string, body: unknown): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}
