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
      clientId: credential(sources, { literal: true }),
      clientSecret: credential(sources, { literal: false }),
      accessKeyId: credential(sources, { literal: true }),
      accessKeySecret: credential(sources, { literal: false }),
    }).strict(),
    pseudoNumbers: z.array(z.string().regex(E164, 'must be an E.164 number such as +15550100001')).default([]),
    contactIdHeader: z.string().regex(HEADER_NAME, 'must be a SIP header name starting with X-').default('X-ContactID'),
    keys: z
      .array(
        z.object({
          name: z.string().min(1, 'must not be empty').max(64, 'must be at most 64 characters'),
          sha256: z.string().regex(SHA256_HEX, 'must be the SHA-256 of the key: 64 hex characters'),
          scope: z.enum(KEY_SCOPES),
        }).strict(),
      )
      .min(1, 'a tenant needs at least one key'),
  }).strict();
}

function tenantsFileSchema(sources: SecretSources) {
  return z
    .object({ tenants: z.array(tenantSchema(sources)).min(1, 'at least one tenant is required') })
    // Unknown fields are refused, not ignored: a typo (`contactIdHeadr`) would silently leave the default.
    .strict()
    .superRefine((file, ctx) => {
      const ids = new Map<string, number>();
      const numbers = new Map<string, number>();
      const hashes = new Map<string, string>();
      file.tenants.forEach((tenant, t) => {
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
        credentials: {
          clientId: t.cxone.clientId,
          clientSecret: t.cxone.clientSecret,
          accessKeyId: t.cxone.accessKeyId,
          accessKeySecret: t.cxone.accessKeySecret,
        },
      },
      pseudoNumbers: t.pseudoNumbers,
      contactIdHeader: t.contactIdHeader,
      keys: t.keys.map((k) => ({ name: k.name, sha256: k.sha256.toLowerCase(), scope: k.scope })),
    }),
  );
  return { ok: true, tenants };
}
