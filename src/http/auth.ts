/**
 * API-key authentication: `Authorization: Bearer <key>` → SHA-256 → the tenant registry → the key's
 * tenant and scope. Keys are known only by their hashes (docs/architecture.md, "Tenants, keys and config").
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { type TenantRegistry } from '../config/tenant-registry.js';
import { type Caller } from '../graphql/context.js';
import { UnauthenticatedError } from '../graphql/errors.js';

const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;

/** SHA-256 of a key as lower-case hex: what the tenants file holds. */
export function hashKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/**
 * The caller for an `Authorization` header value: `null` without a header (only introspection works
 * then), UNAUTHENTICATED for a malformed header or an unknown key.
 */
export function authenticate(header: string | undefined, tenants: Pick<TenantRegistry, 'findKey'>): Caller | null {
  if (header === undefined || header === '') return null;
  const match = BEARER.exec(header);
  if (!match?.[1]) throw new UnauthenticatedError('The Authorization header must be `Bearer <key>`.');
  const caller = callerForKey(match[1], tenants);
  if (caller === null) throw new UnauthenticatedError('Unknown API key.');
  return caller;
}

/** The caller a plain API key (e.g. the Handoff API's `x-api-key`) belongs to, or null for an unknown key. */
export function callerForKey(key: string, tenants: Pick<TenantRegistry, 'findKey'>): Caller | null {
  const digest = createHash('sha256').update(key, 'utf8').digest();
  const hex = digest.toString('hex');
  const found = tenants.findKey(hex);
  // The map lookup already matched; the constant-time compare keeps the final check free of an
  // early-exit string comparison, whatever the registry does inside.
  if (!found || !timingSafeEqual(digest, Buffer.from(found.key.sha256, 'hex'))) return null;
  return { tenant: found.tenant, scope: found.key.scope, keyName: found.key.name };
}
