/**
 * Lookups over the validated tenants: by id, by API-key hash, by pseudo number. Built at start from
 * the frozen config and passed to the HTTP, GraphQL and handoff layers, which look tenants up on
 * every request; `replace` swaps in a reloaded tenants file as one step, so a request sees either the
 * old tenants or the new ones, never a mix.
 */
import { type Tenant, type TenantKey } from './tenant.js';

export interface KeyMatch {
  readonly tenant: Tenant;
  readonly key: TenantKey;
}

export interface TenantRegistry {
  /** The tenants in force now. */
  readonly tenants: readonly Tenant[];
  get(id: string): Tenant | undefined;
  /** The key whose SHA-256 (lower-case hex) is `sha256`, with its tenant. */
  findKey(sha256: string): KeyMatch | undefined;
  /** The tenant that owns an E.164 pseudo number, if any. */
  ownerOfNumber(pseudoNumber: string): Tenant | undefined;
  /** The tenant whose `polyai` account and project these are (exact match), if any. */
  ownerOfPolyAiProject(accountId: string, projectId: string): Tenant | undefined;
  /** Puts a new set of tenants in force for every lookup that follows (a reloaded tenants file). */
  replace(tenants: readonly Tenant[]): void;
}

interface Index {
  readonly tenants: readonly Tenant[];
  readonly byId: ReadonlyMap<string, Tenant>;
  readonly byHash: ReadonlyMap<string, KeyMatch>;
  readonly byNumber: ReadonlyMap<string, Tenant>;
  readonly byPolyAiProject: ReadonlyMap<string, Tenant>;
}

/** NUL cannot occur in either id (the tenants file's pattern), so the joined key is unambiguous. */
function projectKey(accountId: string, projectId: string): string {
  return `${accountId}\u0000${projectId}`;
}

function index(tenants: readonly Tenant[]): Index {
  const byId = new Map<string, Tenant>();
  const byHash = new Map<string, KeyMatch>();
  const byNumber = new Map<string, Tenant>();
  const byPolyAiProject = new Map<string, Tenant>();
  for (const tenant of tenants) {
    if (tenant.polyai) byPolyAiProject.set(projectKey(tenant.polyai.accountId, tenant.polyai.projectId), tenant);
    byId.set(tenant.id, tenant);
    for (const key of tenant.keys) byHash.set(key.sha256.toLowerCase(), { tenant, key });
    for (const number of tenant.pseudoNumbers) byNumber.set(number, tenant);
  }
  return { tenants, byId, byHash, byNumber, byPolyAiProject };
}

export function createTenantRegistry(tenants: readonly Tenant[]): TenantRegistry {
  // One reference to an immutable index: replacing it is atomic for every reader.
  let current = index(tenants);
  return {
    get tenants() {
      return current.tenants;
    },
    get: (id) => current.byId.get(id),
    findKey: (sha256) => current.byHash.get(sha256),
    ownerOfNumber: (pseudoNumber) => current.byNumber.get(pseudoNumber),
    ownerOfPolyAiProject: (accountId, projectId) => current.byPolyAiProject.get(projectKey(accountId, projectId)),
    replace(next) {
      current = index(next);
    },
  };
}
