/** The built-in demo tenant: the default seed, and the values a developer pastes into curl. */
import { DEFAULT_CONTACT_ID_HEADER, parseSeed, type Seed } from './seed.js';

/** Demo credentials and numbers of the built-in seed (one business unit). */
export const DEMO = Object.freeze({
  tenantId: '11e85da0-f32c-7e10-898c-0242ac110003',
  businessUnit: '4600001',
  clientId: 'demo-client',
  clientSecret: 'demo-client-secret',
  accessKeyId: 'demo-access-key',
  accessKeySecret: 'demo-access-secret',
  pseudoNumber: '+15550100001',
  contactIdHeader: DEFAULT_CONTACT_ID_HEADER,
});

/** The seed used when none is given. */
export const DEMO_SEED: Seed = parseSeed(
  {
    businessUnits: [
      { tenantId: DEMO.tenantId, businessUnit: DEMO.businessUnit, contactIdHeader: DEMO.contactIdHeader, pseudoNumbers: [DEMO.pseudoNumber] },
    ],
    apiClients: [{ clientId: DEMO.clientId, clientSecret: DEMO.clientSecret, businessUnit: DEMO.businessUnit }],
    accessKeys: [
      { accessKeyId: DEMO.accessKeyId, accessKeySecret: DEMO.accessKeySecret, businessUnit: DEMO.businessUnit, permissions: ['signal'] },
    ],
  },
  'built-in demo seed',
);
