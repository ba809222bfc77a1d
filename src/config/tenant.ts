import { type CxoneTenantSettings } from '../nice/types.js';

/** What an API key may do: `signal` (voice-agent runtime) or `read` (Handoff API key, screen-pop). */
export type KeyScope = 'signal' | 'read';

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
  /** SIP header carrying the CXone contact id, matched case-insensitively (default `X-ContactID`). */
  readonly contactIdHeader: string;
  readonly keys: readonly TenantKey[];
}
