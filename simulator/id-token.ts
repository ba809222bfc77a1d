/**
 * The id_token of a token response: a compact JWS signed RS256 (as CXone signs it, source A) with a
 * key pair made when the simulator starts; the public half is served at `/auth/jwks` with
 * its `kid`, so a test can verify a token the way an OIDC client would. The gateway only reads the
 * `tenantId` claim and does not verify (src/nice/jwt.ts says why); the signature is here so the
 * simulator's discovery document does not advertise something it cannot back.
 */
import { createHash, generateKeyPair, type KeyObject, sign } from 'node:crypto';
import { promisify } from 'node:util';

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
  jwks(): Promise<{ readonly keys: readonly PublicJwk[] }>;
  /** `claims` as a compact RS256 JWS whose header names the key (`kid`). */
  sign(claims: IdTokenClaims): Promise<string>;
}

interface SigningKey {
  readonly privateKey: KeyObject;
  readonly jwk: PublicJwk;
}

const encode = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Generates a 2048-bit RSA pair off the event loop (libuv's thread pool). */
async function generateSigningKey(): Promise<SigningKey> {
  const pair = await promisify(generateKeyPair)('rsa', { modulusLength: 2048 });
  const { n, e } = pair.publicKey.export({ format: 'jwk' });
  if (n === undefined || e === undefined) throw new Error('node:crypto exported an RSA key without n or e');
  // RFC 7638 thumbprint: the required members in lexicographic order, no whitespace.
  const kid = createHash('sha256').update(JSON.stringify({ e, kty: 'RSA', n })).digest('base64url');
  return { privateKey: pair.privateKey, jwk: { kty: 'RSA', n, e, kid, alg: 'RS256', use: 'sig' } };
}

let processKey: Promise<SigningKey> | undefined;

/**
 * A signer over this process's RSA key pair, generated once per process, asynchronously, when the
 * first signer is made (so at simulator start). Generating it synchronously, or once per simulator,
 * blocked the event loop for up to seconds on a busy machine and made first token requests time
 * out; simulators in one process (tests) sharing a key is harmless, as each publishes it.
 */
export function createIdTokenSigner(): IdTokenSigner {
  processKey ??= generateSigningKey();
  const key = processKey;
  return {
    jwks: async () => ({ keys: [(await key).jwk] }),
    sign: async (claims) => {
      const { privateKey, jwk } = await key;
      const signingInput = `${encode({ alg: 'RS256', typ: 'JWT', kid: jwk.kid })}.${encode(claims)}`;
      return `${signingInput}.${sign('sha256', Buffer.from(signingInput), privateKey).toString('base64url')}`;
    },
  };
}
