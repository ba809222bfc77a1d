import { type KeyScope } from '../common/vocabulary.js';

/** The four credentials CXone's password grant needs (docs/architecture.md, "CXone wire contract"). Never logged, never serialized. */
export interface CxoneCredentials {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly accessKeyId: string;
  readonly accessKeySecret: string;
}

/** Per-tenant CXone settings, already resolved from config (secrets dereferenced). */
export interface CxoneTenantSettings {
  /** OIDC issuer, e.g. `https://cxone.niceincontact.com` (or the simulator's URL). */
  readonly issuer: string;
  /** Signal API version segment, e.g. `v30.0`. */
  readonly apiVersion: string;
  readonly credentials: CxoneCredentials;
  /** When set, skips tenant discovery (`/.well-known/cxone-configuration`). */
  readonly apiEndpoint?: string | undefined;
}

/** One API key of a tenant, known only by the SHA-256 of its value (hex, lower case). */
export interface TenantKey {
  readonly name: string;
  readonly sha256: string;
  readonly scope: KeyScope;
}

/** A customer project, validated and frozen at start (docs/architecture.md, "Tenants, keys and config"). */
export interface Tenant {
  /** Stable id, e.g. `demo`; stored with every handoff. */
  readonly id: string;
  readonly cxone: CxoneTenantSettings;
  /** E.164 pseudo numbers dialled for this tenant's calls. */
  readonly pseudoNumbers: readonly string[];
  /** SIP header carrying the CXone contact id, matched case-insensitively (default `X-ContactID`). */
  readonly contactIdHeader: string;
  readonly keys: readonly TenantKey[];
  /** Where the REST Handoff API (PolyAI-compatible) serves this tenant's handoffs, if anywhere. */
  readonly polyai?: PolyAiProject;
}

/** A PolyAI account (workspace) and project (agent): the path `/v1/{accountId}/{projectId}/handoff_state`. */
export interface PolyAiProject {
  readonly accountId: string;
  readonly projectId: string;
}
