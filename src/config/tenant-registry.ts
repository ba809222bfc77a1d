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
  /** The tenant whose `polyai` account and project these are (exact match), if any. */
  ownerOfPolyAiProject(accountId: string, projectId: string): Tenant | undefined;
}


export function createTenantRegistry(tenants: readonly Tenant[]): TenantRegistry {
  const byId = new Map<string, Tenant>();
  const byHash = new Map<string, KeyMatch>();
  const byNumber = new Map<string, Tenant>();
  const byPolyAiProject = new Map<string, Tenant>();
  // NUL cannot occur in either id (the tenants file's pattern), so the joined key is unambiguous.
  const projectKey = (accountId: string, projectId: string): string => `${accountId}\u0000${projectId}`;
  for (const tenant of tenants) {
    if (tenant.polyai) byPolyAiProject.set(projectKey(tenant.polyai.accountId, tenant.polyai.projectId), tenant);
    byId.set(tenant.id, tenant);
    for (const key of tenant.keys) byHash.set(key.sha256.toLowerCase(), { tenant, key });
    for (const number of tenant.pseudoNumbers) byNumber.set(number, tenant);
  }
  return {
    tenants,
    get: (id) => byId.get(id),
    findKey: (sha256) => byHash.get(sha256),
    ownerOfNumber: (pseudoNumber) => byNumber.get(pseudoNumber),
    ownerOfPolyAiProject: (accountId, projectId) => byPolyAiProject.get(projectKey(accountId, projectId)),
  };
}
