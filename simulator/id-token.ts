/**
 * The id_token of a token response: a compact JWS signed HS256 with the simulator's key
 * (the `idTokenKey` option, default in options.ts), so a client can decode it like CXone's (claims
 * `iss`, `tenantId`, …) and a test can verify it. CXone signs RS256; no client should verify an
 * id_token it only reads the tenant from, so the simulator's choice of a shared key is harmless.
 */
import { createHmac } from 'node:crypto';

export interface IdTokenClaims {
  readonly iss: string;
  readonly sub: string;
  readonly aud: string;
  readonly iat: number;
  readonly exp: number;
  readonly tenantId: string;
  readonly icBUId: number;
  readonly icClusterId: string;
  readonly name: string;
}

const encode = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Signs `claims` as an HS256 JWT with `key`. */
export function signIdToken(claims: IdTokenClaims, key: string): string {
  const signingInput = `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode(claims)}`;
  return `${signingInput}.${createHmac('sha256', key).update(signingInput).digest('base64url')}`;
}
