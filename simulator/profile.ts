/**
 * The wire profile: the few CXone wire facts (docs/architecture.md, "CXone wire contract") the
 * simulator can be told to get wrong on purpose. The default is CXone as the contract describes
 * it; the conformance kit (conformance/) starts a simulator with a mutated profile to show that a
 * difference from the contract is caught. Nothing else should set it.
 */
export interface WireProfile {
  /** Status of an `invalid_grant` token error (CXone: 401; RFC 6749 would say 400). */
  readonly invalidGrantStatus: number;
  /** `token_endpoint_auth_methods_supported` of the OIDC discovery document. */
  readonly tokenEndpointAuthMethods: readonly string[];
  /** `token_type` of a token answer (CXone: `Bearer`). */
  readonly tokenType: string;
  /** Status of a signal to an unknown or ended contact (inferred: 404). */
  readonly contactNotFoundStatus: number;
}

/** CXone as docs/architecture.md describes it. */
export const CXONE_PROFILE: Readonly<WireProfile> = Object.freeze({
  invalidGrantStatus: 401,
  tokenEndpointAuthMethods: Object.freeze(['client_secret_basic', 'client_secret_post']),
  tokenType: 'Bearer',
  contactNotFoundStatus: 404,
});

/** The profile with defaults filled in; a status outside 400..599 is refused with a message naming it. */
export function resolveProfile(profile: Partial<WireProfile> = {}): WireProfile {
  const resolved = { ...CXONE_PROFILE, ...Object.fromEntries(Object.entries(profile).filter(([, value]) => value !== undefined)) } as WireProfile;
  for (const name of ['invalidGrantStatus', 'contactNotFoundStatus'] as const) {
    const status = resolved[name];
    if (!Number.isInteger(status) || status < 400 || status > 599) throw new RangeError(`Invalid simulator profile: ${name} must be an HTTP error status (400..599)`);
  }
  return Object.freeze(resolved);
}
