/**
 * The `config` part of `createHttpServer`'s dependencies for unit suites: the gateway's defaults
 * (as `loadConfig` gives them), with each suite naming only what it tightens.
 */
import { type GatewayConfig } from '../../src/config/config.js';

type HttpConfig = Pick<GatewayConfig, 'http' | 'limits'>;

const DEFAULTS: HttpConfig = {
  http: { port: 0, host: '127.0.0.1', bodyLimitBytes: 8192, introspection: true, explorer: true, shutdownTimeoutMs: 1000, requestTimeoutMs: 30_000 },
  limits: {
    maxParamLength: 256,
    maxContextBytes: 16_384,
    maxContextDepth: 32,
    maxSipInviteBytes: 16_384,
    maxSipContextBytes: 8192,
    maxSipContextDepth: 32,
    maxQueryDepth: 10,
    maxQueryComplexity: 1000,
    maxQueryAliases: 15,
    maxQueryDirectives: 20,
    maxQueryTokens: 3000,
    maxWebSocketConnections: 1000,
    maxWebSocketConnectionsPerKey: 50,
    maxWebSocketConnectionsPerTenant: 500,
    maxSubscriptionsPerConnection: 10,
    maxSubscriptionsPerKey: 100,
    maxSubscriptionsPerTenant: 500,
    maxSubscriptions: 1000,
    maxSubscriberBufferBytes: 1_048_576,
  },
};

export function testHttpConfig(over: { readonly http?: Partial<HttpConfig['http']>; readonly limits?: Partial<HttpConfig['limits']> } = {}): HttpConfig {
  return { http: { ...DEFAULTS.http, ...over.http }, limits: { ...DEFAULTS.limits, ...over.limits } };
}
