/**
 * The simulator's seed: business units (tenants), API clients and access keys. Validated once with
 * zod; every problem is reported together, each naming its field; the result is frozen.
 */
import { z } from 'zod';
import { rateLimitSchema } from './rate-limit.js';

/** Permissions an access key can hold. */
export const PERMISSIONS = ['signal'] as const;
export type Permission = (typeof PERMISSIONS)[number];

/**
 * The SIP headers CXone puts the contact ids in on its SIP backchannel (docs/architecture.md, "CXone wire contract", sources C, F):
 * the spawned contact (the one to signal) and its master. Every simulated INVITE carries both.
 */
export const CONTACT_ID_HEADER = 'X-InContact-ContactId';
export const MASTER_ID_HEADER = 'X-InContact-MasterId';
/** Before the simulator sent CXone's real headers, this was its only contact-id header; kept as a name for old imports. */
export const DEFAULT_CONTACT_ID_HEADER = CONTACT_ID_HEADER;

/** The JSON headers CXone passes bot context in, by their key in a seed's `contexts` entry. */
export const CONTEXT_HEADERS = { standard: 'X-CXone', custom: 'X-CXone-Custom', extended: 'X-CXone-Extended' } as const;
const RESERVED_HEADERS = [CONTACT_ID_HEADER, MASTER_ID_HEADER, ...Object.values(CONTEXT_HEADERS)].map((name) => name.toLowerCase());

const E164 = /^\+[1-9]\d{1,14}$/;
const jsonObject = z.record(z.string(), z.unknown());
/** The context sent with calls to one pseudo number: each key becomes its header's JSON; a missing key, no header. */
const callContextSchema = z.strictObject({ standard: jsonObject.optional(), custom: jsonObject.optional(), extended: jsonObject.optional() });
export type CallContextSeed = z.output<typeof callContextSchema>;

const digits = z.union([z.string().regex(/^\d{1,20}$/, 'must be digits'), z.number().int().positive()]).transform(String);

const businessUnitSchema = z.strictObject({
  tenantId: z.string().min(1, 'must not be empty'),
  businessUnit: digits,
  /** A further header with the (spawned) contact id, as a Studio Sipputheader action adds one (e.g. X-Contact-ID). */
  contactIdHeader: z
    .string()
    .regex(/^X-[A-Za-z0-9-]+$/, 'must be an X- header name (only X- headers travel on the INVITE)')
    .refine((name) => !RESERVED_HEADERS.includes(name.toLowerCase()), 'must not be a header every INVITE already carries (X-InContact-*, X-CXone*)')
    .optional(),
  pseudoNumbers: z.array(z.string().regex(E164, 'must be an E.164 number such as +15550100001')).min(1),
  /** Context headers per pseudo number of this unit. */
  contexts: z.record(z.string().regex(E164, 'must be an E.164 number such as +15550100001'), callContextSchema).optional(),
  /** Signal API rate limit of this business unit (token bucket); none when omitted. */
  rateLimit: rateLimitSchema.optional(),
  /** The Studio script behind each pseudo number (default: waits in an Onsignal, agent after 5 s). */
  scripts: z
    .record(
      z.string(),
      z.strictObject({ onSignal: z.boolean().default(true), agentAnswersAfterMs: z.number().int().min(0).max(3_600_000).default(5_000) }),
    )
    .default({}),
});

const apiClientSchema = z.strictObject({
  clientId: z.string().min(1, 'must not be empty'),
  clientSecret: z.string().min(1, 'must not be empty'),
  businessUnit: digits,
});

const accessKeySchema = z.strictObject({
  accessKeyId: z.string().min(1, 'must not be empty'),
  accessKeySecret: z.string().min(1, 'must not be empty'),
  businessUnit: digits,
  permissions: z.array(z.enum(PERMISSIONS)).default([]),
});

const seedSchema = z
  .strictObject({
    businessUnits: z.array(businessUnitSchema).min(1),
    apiClients: z.array(apiClientSchema).default([]),
    accessKeys: z.array(accessKeySchema).default([]),
  })
  .superRefine((seed, ctx) => {
    const known = new Set<string>();
    const unique = (list: string, field: string, values: readonly string[]): void => {
      const seen = new Set<string>();
      values.forEach((value, index) => {
        if (seen.has(value)) ctx.addIssue({ code: 'custom', path: [list, index, field], message: `duplicate value "${value}"` });
        seen.add(value);
      });
    };
    seed.businessUnits.forEach((unit) => known.add(unit.businessUnit));
    unique('businessUnits', 'businessUnit', seed.businessUnits.map((unit) => unit.businessUnit));
    unique('businessUnits', 'tenantId', seed.businessUnits.map((unit) => unit.tenantId));
    unique('apiClients', 'clientId', seed.apiClients.map((client) => client.clientId));
    unique('accessKeys', 'accessKeyId', seed.accessKeys.map((key) => key.accessKeyId));
    const numbers = new Set<string>();
    seed.businessUnits.forEach((unit, unitIndex) => {
      for (const number of Object.keys(unit.contexts ?? {})) {
        if (!unit.pseudoNumbers.includes(number)) {
          ctx.addIssue({ code: 'custom', path: ['businessUnits', unitIndex, 'contexts', number], message: `"${number}" is not one of this unit's pseudoNumbers` });
        }
      }
    });
    seed.businessUnits.forEach((unit, unitIndex) =>
      Object.keys(unit.scripts).forEach((number) => {
        if (!unit.pseudoNumbers.includes(number)) {
          ctx.addIssue({ code: 'custom', path: ['businessUnits', unitIndex, 'scripts', number], message: 'is not one of this unit\'s pseudoNumbers' });
        }
      }),
    );
    seed.businessUnits.forEach((unit, unitIndex) =>
      unit.pseudoNumbers.forEach((number, index) => {
        if (numbers.has(number)) {
          ctx.addIssue({ code: 'custom', path: ['businessUnits', unitIndex, 'pseudoNumbers', index], message: `duplicate pseudo number "${number}"` });
        }
        numbers.add(number);
      }),
    );
    for (const list of ['apiClients', 'accessKeys'] as const) {
      seed[list].forEach((entry, index) => {
        if (!known.has(entry.businessUnit)) {
          ctx.addIssue({ code: 'custom', path: [list, index, 'businessUnit'], message: `unknown business unit "${entry.businessUnit}"` });
        }
      });
    }
  });

/** A seed as written (JSON); {@link parseSeed} turns it into a {@link Seed}. */
export type SeedInput = z.input<typeof seedSchema>;
export type Seed = z.output<typeof seedSchema>;
export type BusinessUnitSeed = Seed['businessUnits'][number];
export type ApiClientSeed = Seed['apiClients'][number];
export type AccessKeySeed = Seed['accessKeys'][number];

/** A seed that failed validation; `issues` lists every problem as `field.path: message`. */
export class SeedError extends Error {
  readonly issues: readonly string[];

  constructor(issues: readonly string[], source: string) {
    super(`Invalid simulator seed (${source}):\n${issues.map((issue) => `  - ${issue}`).join('\n')}`);
    this.name = 'SeedError';
    this.issues = issues;
  }
}

/** Validates a seed object; throws {@link SeedError} naming every bad field. */
export function parseSeed(input: unknown, source = 'seed'): Seed {
  const result = seedSchema.safeParse(input);
  if (!result.success) {
    throw new SeedError(
      result.error.issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`),
      source,
    );
  }
  return deepFreeze(result.data);
}

/** Parses seed JSON text (e.g. a `--seed` file's content). */
export function parseSeedJson(text: string, source = 'seed'): Seed {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new SeedError([`(root): not valid JSON (${(error as Error).message})`], source);
  }
  return parseSeed(value, source);
}

function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(root)';
  return path.map((part, index) => (typeof part === 'number' ? `[${part}]` : `${index === 0 ? '' : '.'}${String(part)}`)).join('');
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.values(value).forEach(deepFreeze);
    Object.freeze(value);
  }
  return value;
}
