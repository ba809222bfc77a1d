/** The built-in demo tenant: the default seed, and the values a developer pastes into curl. */
import { CONTACT_ID_HEADER, parseSeed, type Seed } from './seed.js';

/** Demo credentials and numbers of the built-in seed (one business unit). */
export const DEMO = Object.freeze({
  tenantId: '11e85da0-f32c-7e10-898c-0242ac110003',
  businessUnit: '4600001',
  clientId: 'demo-client',
  clientSecret: 'demo-client-secret',
  accessKeyId: 'demo-access-key',
  accessKeySecret: 'demo-access-secret',
  pseudoNumber: '+15550100001',
  /** The header the contact id to signal travels in (the master id is in X-InContact-MasterId). */
  contactIdHeader: CONTACT_ID_HEADER,
});

/**
 * What the demo pseudo number's calls carry in X-CXone, X-CXone-Custom and X-CXone-Extended. Field
 * names follow NICE's Cognigy extension (docs/architecture.md, "CXone wire contract", source C): X-CXone-Custom holds `ivaParams`
 * as a JSON string; the values are made up.
 */
export const DEMO_CONTEXT = Object.freeze({
  standard: { ani: '+15557654321', customerName: 'Demo Co', voiceSkillId: '4600101', flowId: 'demo-flow' },
  custom: { ivaParams: JSON.stringify({ tier: 'gold', language: 'en-US' }) },
  extended: { dnis: '+15550100001', skillName: 'Demo Voice IVA' },
});

/** The seed used when none is given. */
export const DEMO_SEED: Seed = parseSeed(
  {
    businessUnits: [
      { tenantId: DEMO.tenantId, businessUnit: DEMO.businessUnit, pseudoNumbers: [DEMO.pseudoNumber], contexts: { [DEMO.pseudoNumber]: DEMO_CONTEXT } },
    ],
    apiClients: [{ clientId: DEMO.clientId, clientSecret: DEMO.clientSecret, businessUnit: DEMO.businessUnit }],
    accessKeys: [
      { accessKeyId: DEMO.accessKeyId, accessKeySecret: DEMO.accessKeySecret, businessUnit: DEMO.businessUnit, permissions: ['signal'] },
    ],
  },
  'built-in demo seed',
);
