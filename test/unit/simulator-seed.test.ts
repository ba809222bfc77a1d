import { describe, expect, it } from 'vitest';
import { DEFAULTS, DEMO, DEMO_CONTEXT, DEMO_SEED, SeedError, parseSeed, parseSeedJson } from '../../simulator/index.js';
import { MAX_SIGNAL_PARAM_LENGTH } from '../../src/common/signal-limits.js';

const valid = {
  businessUnits: [{ tenantId: 't-1', businessUnit: '100', pseudoNumbers: ['+15550000001'] }],
  apiClients: [{ clientId: 'c', clientSecret: 's', businessUnit: '100' }],
  accessKeys: [{ accessKeyId: 'k', accessKeySecret: 's', businessUnit: 100, permissions: ['signal'] }],
};

function issuesOf(input: unknown): readonly string[] {
  try {
    parseSeed(input);
  } catch (error) {
    expect(error).toBeInstanceOf(SeedError);
    return (error as SeedError).issues;
  }
  throw new Error('expected the seed to be rejected');
}

describe('simulator seed', () => {
  it('exposes the demo values as a frozen constant matching the built-in seed', () => {
    expect(Object.isFrozen(DEMO)).toBe(true);
    expect(DEMO).toEqual({
      tenantId: '11e85da0-f32c-7e10-898c-0242ac110003',
      businessUnit: '4600001',
      clientId: 'demo-client',
      clientSecret: 'demo-client-secret',
      accessKeyId: 'demo-access-key',
      accessKeySecret: 'demo-access-secret',
      pseudoNumber: '+15550100001',
      contactIdHeader: 'X-InContact-ContactId',
    });
    expect(DEMO_SEED.businessUnits[0]?.contexts).toEqual({ [DEMO.pseudoNumber]: DEMO_CONTEXT });
    expect(DEMO_SEED.businessUnits).toHaveLength(1);
    expect(DEMO_SEED.accessKeys[0]?.permissions).toEqual(['signal']);
    expect(Object.isFrozen(DEMO_SEED.businessUnits[0])).toBe(true);
  });

  it('fills defaults and normalizes business unit numbers to strings', () => {
    const seed = parseSeed(valid);
    expect(seed.businessUnits[0]?.contactIdHeader).toBeUndefined();
    expect(seed.businessUnits[0]?.contexts).toBeUndefined();
    expect(seed.accessKeys[0]?.businessUnit).toBe('100');
    expect(parseSeed({ businessUnits: valid.businessUnits }).apiClients).toEqual([]);
  });

  it.each([
    { name: 'no business units', input: { businessUnits: [] }, field: 'businessUnits' },
    { name: 'a non-digit business unit', input: { ...valid, businessUnits: [{ ...valid.businessUnits[0], businessUnit: 'BU' }] }, field: 'businessUnits[0].businessUnit' },
    { name: 'a non-E.164 pseudo number', input: { ...valid, businessUnits: [{ ...valid.businessUnits[0], pseudoNumbers: ['5550000'] }] }, field: 'businessUnits[0].pseudoNumbers[0]' },
    { name: 'a non-X- contact id header', input: { ...valid, businessUnits: [{ ...valid.businessUnits[0], contactIdHeader: 'Contact' }] }, field: 'businessUnits[0].contactIdHeader' },
    { name: 'a contact id header every INVITE carries', input: { ...valid, businessUnits: [{ ...valid.businessUnits[0], contactIdHeader: 'x-incontact-contactid' }] }, field: 'businessUnits[0].contactIdHeader' },
    { name: 'a context for a number of no unit', input: { ...valid, businessUnits: [{ ...valid.businessUnits[0], contexts: { '+15559999999': {} } }] }, field: 'businessUnits[0].contexts.+15559999999' },
    { name: 'a context keyed by a non-E.164 number', input: { ...valid, businessUnits: [{ ...valid.businessUnits[0], contexts: { '5550000001': {} } }] }, field: 'businessUnits[0].contexts.5550000001' },
    { name: 'an unknown context key', input: { ...valid, businessUnits: [{ ...valid.businessUnits[0], contexts: { '+15550000001': { std: {} } } }] }, field: 'businessUnits[0].contexts.+15550000001' },
    { name: 'a context that is not an object', input: { ...valid, businessUnits: [{ ...valid.businessUnits[0], contexts: { '+15550000001': { custom: [1, 2] } } }] }, field: 'businessUnits[0].contexts.+15550000001.custom' },
    { name: 'an empty client secret', input: { ...valid, apiClients: [{ clientId: 'c', clientSecret: '', businessUnit: '100' }] }, field: 'apiClients[0].clientSecret' },
    { name: 'an unknown permission', input: { ...valid, accessKeys: [{ ...valid.accessKeys[0], permissions: ['admin'] }] }, field: 'accessKeys[0].permissions[0]' },
    { name: 'an unknown top-level field', input: { ...valid, tenants: [] }, field: '(root)' },
    { name: "a client of an unknown business unit", input: { ...valid, apiClients: [{ clientId: 'c', clientSecret: 's', businessUnit: '999' }] }, field: 'apiClients[0].businessUnit' },
    { name: 'a duplicate client id', input: { ...valid, apiClients: [valid.apiClients[0], valid.apiClients[0]] }, field: 'apiClients[1].clientId' },
    {
      name: 'a pseudo number in two units',
      input: { ...valid, businessUnits: [valid.businessUnits[0], { tenantId: 't-2', businessUnit: '200', pseudoNumbers: ['+15550000001'] }] },
      field: 'businessUnits[1].pseudoNumbers[0]',
    },
  ])('rejects $name, naming $field', ({ input, field }) => {
    const issues = issuesOf(input);
    expect(issues.some((issue) => issue.startsWith(`${field}:`)), issues.join('\n')).toBe(true);
  });

  it('reports every field problem at once', () => {
    const issues = issuesOf({
      businessUnits: [{ tenantId: '', businessUnit: 'x', pseudoNumbers: [] }],
      accessKeys: [{ accessKeyId: '', accessKeySecret: 's', businessUnit: '1' }],
    });
    expect(issues.map((issue) => issue.split(':')[0])).toEqual(
      expect.arrayContaining(['businessUnits[0].tenantId', 'businessUnits[0].businessUnit', 'businessUnits[0].pseudoNumbers', 'accessKeys[0].accessKeyId']),
    );
  });

  it('names the source and each issue in the error message, and rejects JSON that does not parse', () => {
    expect(() => parseSeedJson('{', 'seed.json')).toThrow(/Invalid simulator seed \(seed\.json\):\n {2}- \(root\): not valid JSON/);
  });

  it('has documented defaults', () => {
    expect(DEFAULTS).toEqual({ tokenTtlSeconds: 3600, refreshTokenTtlSeconds: 7200, signalStatus: 202, paramMaxLength: MAX_SIGNAL_PARAM_LENGTH });
    expect(MAX_SIGNAL_PARAM_LENGTH).toBe(1000);
  });
});
