import { type KeyScope } from '../shared/vocabulary.js';

/** The four credentials CXone's password grant needs (DESIGN §6). Never logged, never serialized. */
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

/** A customer project, validated and frozen at start (DESIGN §5). */
export interface Tenant {
  /** Stable id, e.g. `demo`; stored with every handoff. */
  readonly id: string;
  readonly cxone: CxoneTenantSettings;
  /** E.164 pseudo numbers dialled for this tenant's calls. */
  readonly pseudoNumbers: readonly string[];
  /**
   * SIP headers that may carry the CXone contact id to signal, in priority order: the first one an
   * INVITE carries is used. Matched case-insensitively. Default `X-InContact-ContactId` (what CXone
   * sends on its SIP backchannel), then `X-Contact-ID` (a common Studio Sipputheader choice).
   */
  readonly contactIdHeaders: readonly string[];
  readonly keys: readonly TenantKey[];
}
