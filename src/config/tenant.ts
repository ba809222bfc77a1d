import { type KeyScope } from '../common/vocabulary.js';

/**
 * A tenant's CXone credentials (docs/architecture.md, "CXone wire contract"). Never logged, never serialized. The password grant
 * needs all four; the access-key grant only the access key (no API client).
 */
export interface CxoneCredentials {
  readonly clientId?: string | undefined;
  readonly clientSecret?: string | undefined;
  readonly accessKeyId: string;
  readonly accessKeySecret: string;
}

/**
 * How the client gets a token: `password` (OAuth password grant at the discovered token endpoint,
 * API client in HTTP Basic; NICE's documented way) or `access-key` (`POST
 * {authEndpoint}/authentication/v1/token/access-key` with a JSON body, no API client).
 */
export type CxoneGrant = 'password' | 'access-key';

/**
 * Where a signal's p1..p9 travel: `body` (a JSON object, as NICE's SDK and connector send them;
 * long values fit) or `query` (the query string, as generated API clients do; the request line
 * limits their size).
 */
export type SignalParamsTransport = 'body' | 'query';

/** Per-tenant CXone settings, already resolved from config (secrets dereferenced). */
export interface CxoneTenantSettings {
  /** OIDC issuer, e.g. `https://cxone.niceincontact.com` (or the simulator's URL). */
  readonly issuer: string;
  /** Signal API version segment, e.g. `v30.0`. */
  readonly apiVersion: string;
  readonly credentials: CxoneCredentials;
  /** When set, skips tenant discovery (`/.well-known/cxone-configuration`). */
  readonly apiEndpoint?: string | undefined;
  /** Default `password`. */
  readonly grant?: CxoneGrant | undefined;
  /**
   * Base URL of the access-key grant, e.g. `https://na1.nice-incontact.com` (the tenant's area
   * host); default: the issuer. Only read with `grant: 'access-key'`.
   */
  readonly authEndpoint?: string | undefined;
  /** Default `body`. */
  readonly signalParams?: SignalParamsTransport | undefined;
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
  /**
   * SIP headers that may carry the CXone contact id to signal, in priority order: the first one an
   * INVITE carries is used. Matched case-insensitively. Default `X-InContact-ContactId` (what CXone
   * sends on its SIP backchannel), then `X-Contact-ID` (a common Studio Sipputheader choice).
   */
  readonly contactIdHeaders: readonly string[];
  readonly keys: readonly TenantKey[];
}
