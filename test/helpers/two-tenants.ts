/**
 * Two tenants on two simulator business units, for suites about tenant isolation: their gateway
 * tenants (for `startStack({ tenants })`) and the simulator seed that backs them.
 */
import { type StackTenant } from './stack.js';

export const ACME: StackTenant = {
  id: 'acme',
  clientId: 'acme-client',
  clientSecret: 'acme-client-secret',
  accessKeyId: 'acme-key',
  accessKeySecret: 'acme-key-secret',
  pseudoNumbers: ['+15550200001'],
  keys: { signal: 'acme-signal', read: 'acme-read' },
};

/** Globex names its contact-id SIP header itself, as a customer's Studio script may. */
export const GLOBEX: StackTenant = {
  id: 'globex',
  clientId: 'globex-client',
  clientSecret: 'globex-client-secret',
  accessKeyId: 'globex-key',
  accessKeySecret: 'globex-key-secret',
  pseudoNumbers: ['+15550300001'],
  contactIdHeader: 'X-Globex-Contact',
  keys: { signal: 'globex-signal', read: 'globex-read' },
};

/** Simulator seed: ACME on business unit 100, GLOBEX on 200, each with its own client and access key. */
export const TWO_TENANT_SEED = {
  businessUnits: [
    { tenantId: 'acme-tenant', businessUnit: '100', pseudoNumbers: [...ACME.pseudoNumbers] },
    { tenantId: 'globex-tenant', businessUnit: '200', pseudoNumbers: [...GLOBEX.pseudoNumbers], contactIdHeader: 'X-Globex-Contact' },
  ],
  apiClients: [
    { clientId: ACME.clientId, clientSecret: ACME.clientSecret, businessUnit: '100' },
    { clientId: GLOBEX.clientId, clientSecret: GLOBEX.clientSecret, businessUnit: '200' },
  ],
  accessKeys: [
    { accessKeyId: ACME.accessKeyId, accessKeySecret: ACME.accessKeySecret, businessUnit: '100', permissions: ['signal' as const] },
    { accessKeyId: GLOBEX.accessKeyId, accessKeySecret: GLOBEX.accessKeySecret, businessUnit: '200', permissions: ['signal' as const] },
  ],
};
