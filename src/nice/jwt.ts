/**
 * Reads claims from the `id_token` CXone returns with an access token.
 *
 * The signature is deliberately NOT verified: the token comes straight from the token endpoint
 * over the TLS connection we opened to it, which OpenID Connect Core §3.1.3.7 accepts in place of
 * signature validation, and the only claim used (`tenantId`) merely selects which discovery
 * document to read. Never use this for a token received from anyone else.
 */

/** The payload (claims) of a compact JWS, or `undefined` when it is not one. */
export function decodeJwtPayload(token: string): Record<string, unknown> | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || parts[1] === undefined || !/^[A-Za-z0-9_-]+={0,2}$/.test(parts[1])) return undefined;
  try {
    const payload: unknown = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    return typeof payload === 'object' && payload !== null && !Array.isArray(payload) ? (payload as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The CXone `tenantId` claim of an id_token, if present and sane. */
export function tenantIdFromIdToken(idToken: string): string | undefined {
  const tenantId = decodeJwtPayload(idToken)?.tenantId;
  return typeof tenantId === 'string' && /^[A-Za-z0-9._-]{1,128}$/.test(tenantId) ? tenantId : undefined;
}
