/**
 * Lookups over the validated tenants: by id, by API-key hash, by pseudo number. Built once at start
 * from the frozen config and passed to the HTTP and GraphQL layers.
 */
import { type Tenant, type TenantKey } from './tenant.js';

export interface KeyMatch {
  readonly tenant: Tenant;
  readonly key: TenantKey;
}

export interface TenantRegistry {
  readonly tenants: readonly Tenant[];
  get(id: string): Tenant | undefined;
  /** The key whose SHA-256 (lower-case hex) is `sha256`, with its tenant. */
  findKey(sha256: string): KeyMatch | undefined;
  /** The tenant that owns an E.164 pseudo number, if any. */
  ownerOfNumber(pseudoNumber: string): Tenant | undefined;
}


export function createTenantRegistry(tenants: readonly Tenant[]): TenantRegistry {
  const byId = new Map<string, Tenant>();
  const byHash = new Map<string, KeyMatch>();
  const byNumber = new Map<string, Tenant>();
  for (const tenant of tenants) {
    byId.set(tenant.id, tenant);
    for (const key of tenant.keys) byHash.set(key.sha256.toLowerCase(), { tenant, key });
    for (const number of tenant.pseudoNumbers) byNumber.set(number, tenant);
  }
  return {
    tenants,
    get: (id) => byId.get(id),
    findKey: (sha256) => byHash.get(sha256),
    ownerOfNumber: (pseudoNumber) => byNumber.get(pseudoNumber),
  };
}
