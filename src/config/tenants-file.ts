/**
 * The tenants file (docs/architecture.md, "Tenants, keys and config"): its zod schema, secret references and the checks that span tenants.
 * Messages name the field and never carry a value read from the file, the environment or a secret
 * file, so a config error can be printed and logged as it is.
 */
import { z } from 'zod';
import { formatPath } from '../common/format-path.js';
import { KEY_SCOPES } from '../common/vocabulary.js';
import { type Tenant } from './tenant.js';

/** Where the parser may look for secret references; passed in so tests need no real environment. */
export interface SecretSources {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly readFile: (path: string) => string;
}

const E164 = /^\+[1-9]\d{1,14}$/;
const SHA256_HEX = /^[0-9a-fA-F]{64}$/;
const TENANT_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;
const HEADER_NAME = /^X-[A-Za-z0-9-]+$/i;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/**
 * PolyAI account (workspace) and project (agent) ids, e.g. `ws-1a2b3c4d`, `PROJECT-9f8e7d6c`, or
 * their slugs. At most 100 characters: fastify's router matches no longer path segment.
 */
const POLYAI_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/;
const POLYAI_ID_MESSAGE = 'must be 1..100 letters, digits, _ or -, starting with a letter or digit';

/** `contactIdHeaders` when the tenant gives neither it nor the older single `contactIdHeader`. */
export const DEFAULT_CONTACT_ID_HEADERS: readonly string[] = Object.freeze(['X-InContact-ContactId', 'X-Contact-ID']);

/**
 * A credential given as `env:NAME`, `file:/path` or (when `literal` is allowed) the value itself.
 * The two CXone secrets refuse literals so that a tenants file can be committed as it is.
 */
function credential(sources: SecretSources, options: { literal: boolean }) {
  return z
    .string()
    .min(1, 'must not be empty')
    .transform((raw, ctx) => {
      const problem = (message: string) => {
        ctx.addIssue({ code: 'custom', message });
        return z.NEVER;
      };
      if (raw.startsWith('env:')) {
        const name = raw.slice('env:'.length);
        if (!ENV_NAME.test(name)) return problem('env: reference must name an environment variable (letters, digits, _)');
        const value = sources.env[name];
        if (value === undefined || value === '') return problem(`environment variable ${name} is not set`);
        return value;
      }
      if (raw.startsWith('file:')) {
        const path = raw.slice('file:'.length);
        if (path === '') return problem('file: reference must name a file');
        let text: string;
        try {
          text = sources.readFile(path);
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code ?? 'read error';
          return problem(`cannot read secret file ${path} (${code})`);
        }
        const value = text.replace(/\r?\n$/, '');
        if (value === '') return problem(`secret file ${path} is empty`);
        return value;
      }
      if (!options.literal) {
        return problem('must be a reference, env:NAME or file:/path (literal secrets are refused; the value is not shown)');
      }
      return raw;
    });
}

function tenantSchema(sources: SecretSources) {
  return z.object({
    id: z.string().regex(TENANT_ID, 'must be 1..63 letters, digits, _ or -, starting with a letter or digit'),
    cxone: z.object({
      issuer: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
      apiVersion: z
        .string()
        .regex(/^v\d+\.0$/, 'must look like v30.0')
        .default('v30.0'),
      apiEndpoint: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
      // `password` needs the API client; `access-key` only the access key (src/nice/types.ts).
      grant: z.enum(['password', 'access-key']).default('password'),
      authEndpoint: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
      // `body` as NICE's SDK sends p1..p9; `query` for a front end that wants the query string.
      signalParams: z.enum(['body', 'query']).default('body'),
      clientId: credential(sources, { literal: true }).optional(),
      clientSecret: credential(sources, { literal: false }).optional(),
      accessKeyId: credential(sources, { literal: true }),
      accessKeySecret: credential(sources, { literal: false }),
    }).strict().superRefine((cxone, ctx) => {
      if (cxone.grant !== 'password') return;
      for (const field of ['clientId', 'clientSecret'] as const) {
        if (cxone[field] === undefined) ctx.addIssue({ code: 'custom', path: [field], message: 'is required for the password grant' });
      }
    }),
    pseudoNumbers: z.array(z.string().regex(E164, 'must be an E.164 number such as +15550100001')).default([]),
    contactIdHeaders: z
      .array(z.string().regex(HEADER_NAME, 'must be a SIP header name starting with X-'))
      .min(1, 'must name at least one header')
      .max(8, 'must name at most 8 headers')
      .refine((names) => new Set(names.map((n) => n.toLowerCase())).size === names.length, 'must not name a header twice (names are case-insensitive)')
      .optional(),
    /** Before contactIdHeaders: one header, read as a one-element list. */
    contactIdHeader: z.string().regex(HEADER_NAME, 'must be a SIP header name starting with X-').optional(),
    keys: z
      .array(
        z.object({
          name: z.string().min(1, 'must not be empty').max(64, 'must be at most 64 characters'),
          sha256: z.string().regex(SHA256_HEX, 'must be the SHA-256 of the key: 64 hex characters'),
          scope: z.enum(KEY_SCOPES),
        }).strict(),
      )
      .min(1, 'a tenant needs at least one key'),
    // The REST Handoff API (PolyAI-compatible): GET /v1/{accountId}/{projectId}/handoff_state reads
    // this tenant's handoffs. Optional; without it the tenant has no Handoff API path.
    polyai: z
      .object({
        accountId: z.string().regex(POLYAI_ID, POLYAI_ID_MESSAGE),
        projectId: z.string().regex(POLYAI_ID, POLYAI_ID_MESSAGE),
      })
      .optional(),
  }).strict();
}

function tenantsFileSchema(sources: SecretSources) {
  return z
    .object({ tenants: z.array(tenantSchema(sources)).min(1, 'at least one tenant is required') })
    // Unknown fields are refused, not ignored: a typo (`contactIdHeadr`) would silently leave the default.
    .strict()
    .superRefine((file, ctx) => {
      file.tenants.forEach((tenant, t) => {
        if (tenant.contactIdHeader !== undefined && tenant.contactIdHeaders !== undefined) {
          ctx.addIssue({
            code: 'custom',
            path: ['tenants', t, 'contactIdHeader'],
            message: 'give contactIdHeaders (a list) or the older contactIdHeader, not both',
          });
        }
      });
      const ids = new Map<string, number>();
      const numbers = new Map<string, number>();
      const hashes = new Map<string, string>();
      const polyaiProjects = new Map<string, number>();
      file.tenants.forEach((tenant, t) => {
        if (tenant.polyai !== undefined) {
          const project = `${tenant.polyai.accountId}/${tenant.polyai.projectId}`;
          const owner = polyaiProjects.get(project);
          if (owner !== undefined) {
            ctx.addIssue({
              code: 'custom',
              path: ['tenants', t, 'polyai'],
              message: `PolyAI account and project already belong to tenants[${owner}]; a project has one tenant`,
            });
          } else {
            polyaiProjects.set(project, t);
          }
        }
        const firstId = ids.get(tenant.id);
        if (firstId !== undefined) {
          ctx.addIssue({ code: 'custom', path: ['tenants', t, 'id'], message: `duplicate tenant id (also tenants[${firstId}].id)` });
        } else {
          ids.set(tenant.id, t);
        }
        tenant.pseudoNumbers.forEach((number, n) => {
          const owner = numbers.get(number);
          if (owner !== undefined) {
            ctx.addIssue({
              code: 'custom',
              path: ['tenants', t, 'pseudoNumbers', n],
              message: `pseudo number already belongs to tenants[${owner}]; a number has one tenant`,
            });
          } else {
            numbers.set(number, t);
          }
        });
        tenant.keys.forEach((key, k) => {
          const hash = key.sha256.toLowerCase();
          const first = hashes.get(hash);
          if (first !== undefined) {
            ctx.addIssue({
              code: 'custom',
              path: ['tenants', t, 'keys', k, 'sha256'],
              message: `duplicate key hash (also ${first}); every key must be unique`,
            });
          } else {
            hashes.set(hash, `tenants[${t}].keys[${k}]`);
          }
        });
      });
    });
}


/**
 * Parses the text of a tenants file. Returns the tenants, or the list of problems, each prefixed
 * with `where` (the file's name) and the field's path.
 */
export function parseTenantsFile(
  text: string,
  where: string,
  sources: SecretSources,
): { ok: true; tenants: Tenant[] } | { ok: false; problems: string[] } {
  if (/\.ya?ml$/i.test(where)) {
    return { ok: false, problems: [`${where}: YAML tenants files are not supported; write the same structure as JSON`] };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    // JSON.parse messages quote at most a token and a position, never a whole value.
    return { ok: false, problems: [`${where}: not valid JSON (${(error as Error).message})`] };
  }
  const result = tenantsFileSchema(sources).safeParse(json);
  if (!result.success) {
    return { ok: false, problems: result.error.issues.map((issue) => `${where}: ${formatPath(issue.path) || '(root)'}: ${issue.message}`) };
  }
  const tenants = result.data.tenants.map(
    (t): Tenant => ({
      id: t.id,
      cxone: {
        issuer: t.cxone.issuer.replace(/\/+$/, ''),
        apiVersion: t.cxone.apiVersion,
        apiEndpoint: t.cxone.apiEndpoint?.replace(/\/+$/, ''),
        grant: t.cxone.grant,
        authEndpoint: t.cxone.authEndpoint?.replace(/\/+$/, ''),
        signalParams: t.cxone.signalParams,
        credentials: {
          clientId: t.cxone.clientId,
          clientSecret: t.cxone.clientSecret,
          accessKeyId: t.cxone.accessKeyId,
          accessKeySecret: t.cxone.accessKeySecret,
        },
      },
      pseudoNumbers: t.pseudoNumbers,
      contactIdHeaders: t.contactIdHeaders ?? (t.contactIdHeader === undefined ? [...DEFAULT_CONTACT_ID_HEADERS] : [t.contactIdHeader]),
      keys: t.keys.map((k) => ({ name: k.name, sha256: k.sha256.toLowerCase(), scope: k.scope })),
      ...(t.polyai ? { polyai: { accountId: t.polyai.accountId, projectId: t.polyai.projectId } } : {}),
    }),
  );
  return { ok: true, tenants };
}
