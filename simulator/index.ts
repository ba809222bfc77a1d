/**
 * The CXone simulator (docs/architecture.md, "The simulator"): `startSimulator()` for tests and scripts, `createSimulatorApp()`
 * to test the pipeline without listening, the demo seed, and the pieces they are built from.
 */
import { type AddressInfo } from 'node:net';
import { createServer } from 'node:http';
import { pino, type Logger } from 'pino';
import { createSimulatorApp } from './app.js';
import { DEMO_SEED } from './demo.js';
import { DesktopGatewayLink, type DesktopGateway } from './desktop-gateway.js';
import { createIdTokenSigner } from './id-token.js';
import { type SimulatorBehaviour } from './options.js';
import { type WireProfile } from './profile.js';
import { parseSeed, type Seed, type SeedInput } from './seed.js';
import { SipAgent } from './sip-agent.js';
import { createSimulatorState } from './state.js';

export { createSimulatorApp, type SimulatorAppOptions } from './app.js';
export { DEMO, DEMO_CONTEXT, DEMO_SEED } from './demo.js';
export { DesktopGatewayLink, type DesktopGateway } from './desktop-gateway.js';
export { FAULT_KINDS, FaultStore, createFaultStage, type Fault, type FaultKind, type FaultSpec } from './faults.js';
export { DEFAULTS, type SimulatorBehaviour } from './options.js';
export { createIdTokenSigner, type IdTokenSigner, type PublicJwk } from './id-token.js';
export { CXONE_PROFILE, resolveProfile, type WireProfile } from './profile.js';
export { FAULT_ROUTES, type FaultRoute, type Reply, type RouteContext, type Stage } from './pipeline.js';
export {
  CONTACT_ID_HEADER,
  CONTEXT_HEADERS,
  DEFAULT_CONTACT_ID_HEADER,
  MASTER_ID_HEADER,
  SeedError,
  parseSeed,
  parseSeedJson,
  type CallContextSeed,
  type Seed,
  type SeedInput,
} from './seed.js';
export { SipAgent, parseSipTarget, type SipTarget } from './sip-agent.js';
export { buildInvite, parseSipMessage, sipHeader, type SipMessage } from './sip.js';
export {
  SimulatorState,
  createSimulatorState,
  type CallRecord,
  type ContactRecord,
  type DialogState,
  type SignalRecord,
  type SignalTransport,
  type TokenRecord,
} from './state.js';

/** Options of {@link startSimulator}; behaviour fields default to `DEFAULTS`. */
export interface StartSimulatorOptions extends Partial<SimulatorBehaviour> {
  /** TCP port; 0 (default) picks a free one. */
  readonly port?: number;
  /** Interface to listen on; default 127.0.0.1. */
  readonly host?: string;
  /** Seed (validated); default the built-in demo seed. */
  readonly seed?: Seed | SeedInput;
  /** Logger; default silent. */
  readonly log?: Logger;
  /** Address the SIP agent binds its UDP socket to and advertises; default 127.0.0.1. */
  readonly sipAddress?: string;
  /** Clock, epoch milliseconds (default `Date.now`): lets tests expire tokens without sleeping. */
  readonly now?: () => number;
  /** Wire facts to get wrong on purpose (the conformance kit's negative test); default CXone's. */
  readonly profile?: Partial<WireProfile>;
}

/** Largest request head (request line and headers) Node's parser accepts before answering 431. */
const MAX_HEADER_BYTES = 64 * 1024;

/** A listening simulator. */
export interface RunningSimulator {
  /** Base URL, e.g. `http://127.0.0.1:4010`: issuer, api_endpoint and control API all live here. */
  readonly url: string;
  readonly port: number;
  /** Stops listening, drops keep-alive connections and closes the SIP socket. */
  close(): Promise<void>;
  /** Back to the seed: same as `POST /_sim/reset`. */
  reset(): void;
  /** Points the agent desktop (`/_sim/desktop`) at a gateway's Handoff API for its screen-pops. */
  connectDesktop(gateway: DesktopGateway): void;
}

/** Starts the simulator on `host:port` (default 127.0.0.1, a free port). */
export async function startSimulator(options: StartSimulatorOptions = {}): Promise<RunningSimulator> {
  const log = options.log ?? pino({ level: 'silent' });
  const host = options.host ?? '127.0.0.1';
  const state = createSimulatorState(options.seed === undefined ? DEMO_SEED : parseSeed(options.seed));
  const sip = new SipAgent({ address: options.sipAddress ?? '127.0.0.1', log });
  const closing = new AbortController();
  // The RSA key is made off the event loop; waiting for it here keeps the first token request fast.
  const idTokens = createIdTokenSigner();
  await idTokens.jwks();
  const desktop = new DesktopGatewayLink();
  const app = createSimulatorApp(state, { ...options, log, sip, idTokens, closing: closing.signal, desktop });
  // Node's default 16 KiB header limit would answer a long request line itself; raised so that the
  // app's 8 KiB request-line rule (414, app.ts) is what a client meets, as in front of CXone.
  const server = createServer({ maxHeaderSize: MAX_HEADER_BYTES }, app);
  // Requests Node's HTTP parser rejects never reach Express: answer them in the CXone shape too.
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    if (!socket.writable || error.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    const [status, reason, code, message] =
      error.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'Request Header Fields Too Large', 'request_header_fields_too_large', `The request head is over ${MAX_HEADER_BYTES} bytes.`]
        : [400, 'Bad Request', 'invalid_request', 'Malformed HTTP request.'];
    const body = JSON.stringify({ error: code, message });
    socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${urlHost(host)}:${port}`;
  log.info({ url }, 'CXone simulator listening');
  return {
    url,
    port,
    async close() {
      closing.abort();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await Promise.all([closed, sip.close()]);
    },
    reset() {
      state.reset();
      sip.reset();
    },
    connectDesktop(gateway) {
      desktop.connect(gateway);
    },
  };
}

/** A host clients can connect to: wildcard addresses become loopback, IPv6 gets brackets. */
function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}
