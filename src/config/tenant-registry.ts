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
  /** Puts a new set of tenants in force for every lookup that follows (a reloaded tenants file). */
  replace(tenants: readonly Tenant[]): void;
}

interface Index {
  readonly tenants: readonly Tenant[];
  readonly byId: ReadonlyMap<string, Tenant>;
  readonly byHash: ReadonlyMap<string, KeyMatch>;
  readonly byNumber: ReadonlyMap<string, Tenant>;
}

function index(tenants: readonly Tenant[]): Index {
  const byId = new Map<string, Tenant>();
  const byHash = new Map<string, KeyMatch>();
  const byNumber = new Map<string, Tenant>();
  for (const tenant of tenants) {
    byId.set(tenant.id, tenant);
    for (const key of tenant.keys) byHash.set(key.sha256.toLowerCase(), { tenant, key });
    for (const number of tenant.pseudoNumbers) byNumber.set(number, tenant);
  }
  return { tenants, byId, byHash, byNumber };
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
    replace(next) {
      current = index(next);
    },
  };
}
