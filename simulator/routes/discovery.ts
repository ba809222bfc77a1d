/** OIDC discovery and CXone tenant discovery (docs/architecture.md, "CXone wire contract"); both public, both derived from the request's origin. */
import { apiError } from '../errors.js';
import { type RouteDeps } from '../options.js';
import { type Reply, type RouteContext, type RouteDef } from '../pipeline.js';
import { TOKEN_PATH } from './oauth.js';

/** Where the id_token's public key is published (docs/architecture.md, "CXone wire contract", sources A). */
export const JWKS_PATH = '/auth/jwks';

export function discoveryRoutes(deps: RouteDeps): RouteDef[] {
  return [
    { method: 'get', path: '/.well-known/openid-configuration', fault: 'discovery', shape: 'cxone', handle: openidConfiguration },
    { method: 'get', path: JWKS_PATH, fault: 'discovery', shape: 'cxone', handle: async () => ({ kind: 'json', status: 200, body: await deps.idTokens.jwks() }) },
    { method: 'get', path: '/.well-known/cxone-configuration', fault: 'discovery', shape: 'cxone', handle: (ctx) => cxoneConfiguration(ctx, deps) },
  ];
}

function openidConfiguration(ctx: RouteContext): Reply {
  const issuer = ctx.baseUrl;
  return {
    kind: 'json',
    status: 200,
    body: {
      issuer,
      authorization_endpoint: `${issuer}/auth/authorize`,
      token_endpoint: `${issuer}${TOKEN_PATH}`,
      jwks_uri: `${issuer}${JWKS_PATH}`,
      response_types_supported: ['code', 'id_token', 'token id_token'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256'],
      grant_types_supported: ['password', 'refresh_token'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      scopes_supported: ['openid'],
      claims_supported: ['iss', 'sub', 'aud', 'iat', 'exp', 'tenantId', 'icBUId', 'icClusterId', 'name'],
    },
  };
}

function cxoneConfiguration(ctx: RouteContext, deps: RouteDeps): Reply {
  const tenantId = ctx.req.query.tenantId;
  if (typeof tenantId !== 'string' || tenantId.length === 0) {
    return apiError('invalid_request', 'Give the tenant as ?tenantId=.');
  }
  const unit = deps.state.businessUnitByTenant(tenantId);
  if (unit === undefined) return apiError('tenant_not_found', `No tenant ${tenantId}.`);
  return {
    kind: 'json',
    status: 200,
    body: {
      private: false,
      tenantId: unit.tenantId,
      area: 'sim1',
      cluster: 'SIM1',
      domain: 'niceincontact.com',
      acdDomain: 'nice-incontact.com',
      uhDomain: 'nice-incontact.com',
      ui_endpoint: ctx.baseUrl,
      auth_endpoint: ctx.baseUrl,
      api_endpoint: ctx.baseUrl,
    },
  };
}
