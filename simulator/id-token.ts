/**
 * The id_token of a token response: a compact JWS signed RS256 (as CXone signs it, source A) with a
 * key pair made when the simulator first needs it; the public half is served at `/auth/jwks` with
 * its `kid`, so a test can verify a token the way an OIDC client would. The gateway only reads the
 * `tenantId` claim and does not verify (src/nice/jwt.ts says why); the signature is here so the
 * simulator's discovery document does not advertise something it cannot back.
 */
import { createHash, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';

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

/** A public RSA key as `/auth/jwks` lists it (RFC 7517). */
export interface PublicJwk {
  readonly kty: 'RSA';
  readonly n: string;
  readonly e: string;
  readonly kid: string;
  readonly alg: 'RS256';
  readonly use: 'sig';
}

/** Signs id_tokens and publishes the key that verifies them. */
export interface IdTokenSigner {
  /** The JWKS document (`{ keys: [jwk] }`). */
  jwks(): { readonly keys: readonly PublicJwk[] };
  /** `claims` as a compact RS256 JWS whose header names the key (`kid`). */
  sign(claims: IdTokenClaims): string;
}

const encode = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * A signer with its own 2048-bit RSA key pair. The pair is generated on first use, not at
 * construction, because most simulators in tests never issue a token and RSA generation is the
 * slowest thing the simulator does.
 */
export function createIdTokenSigner(): IdTokenSigner {
  let keys: { readonly privateKey: KeyObject; readonly jwk: PublicJwk } | undefined;
  const ensure = (): { readonly privateKey: KeyObject; readonly jwk: PublicJwk } => {
    if (keys === undefined) {
      const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const { n, e } = pair.publicKey.export({ format: 'jwk' });
      if (n === undefined || e === undefined) throw new Error('node:crypto exported an RSA key without n or e');
      // RFC 7638 thumbprint: the required members in lexicographic order, no whitespace.
      const kid = createHash('sha256').update(JSON.stringify({ e, kty: 'RSA', n })).digest('base64url');
      keys = { privateKey: pair.privateKey, jwk: { kty: 'RSA', n, e, kid, alg: 'RS256', use: 'sig' } };
    }
    return keys;
  };
  return {
    jwks: () => ({ keys: [ensure().jwk] }),
    sign: (claims) => {
      const { privateKey, jwk } = ensure();
      const signingInput = `${encode({ alg: 'RS256', typ: 'JWT', kid: jwk.kid })}.${encode(claims)}`;
      return `${signingInput}.${sign('sha256', Buffer.from(signingInput), privateKey).toString('base64url')}`;
    },
  };
}
