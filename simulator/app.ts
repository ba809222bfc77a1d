/**
 * `createSimulatorApp(state, options)`: the Express app (json-server's `create()`) that serves the
 * CXone routes and the control API. Request flow:
 *
 *   CorrelationId header → request-line limit (414) → body stage (json-server's parsers;
 *   failures noted, not thrown)
 *   → hand-written routes, each run through the stages (fault injection) then its handler
 *   → json-server's router under /_sim (read-only state) → JSON 404 → JSON error handler.
 *
 * Every answer is JSON in the route's error shape (errors.ts); nothing renders a stack trace.
 */
import { randomUUID } from 'node:crypto';
import { type Application, type NextFunction, type Request, type Response } from 'express';
import jsonServer from 'json-server';
import { pino, type Logger } from 'pino';
import { apiError, errorForStatus } from './errors.js';
import { MAX_REQUEST_LINE_BYTES, requestLineBytes } from '../src/common/signal-limits.js';
import { createFaultStage } from './faults.js';
import { DesktopGatewayLink } from './desktop-gateway.js';
import { createIdTokenSigner, type IdTokenSigner } from './id-token.js';
import { resolveBehaviour, type RouteDeps, type SimulatorBehaviour } from './options.js';
import { type BodyProblem, type RouteContext, type RouteDef, runPipeline, sendReply, type Stage } from './pipeline.js';
import { resolveProfile, type WireProfile } from './profile.js';
import { apiRoutes } from './routes/api.js';
import { controlRoutes } from './routes/control.js';
import { desktopRoutes } from './routes/desktop.js';
import { discoveryRoutes } from './routes/discovery.js';
import { oauthRoutes } from './routes/oauth.js';
import { SipAgent } from './sip-agent.js';
import { type SimulatorState } from './state.js';

/** Options of {@link createSimulatorApp}; behaviour fields default to `DEFAULTS`. */
export interface SimulatorAppOptions extends Partial<SimulatorBehaviour> {
  /** Logger (default: silent). Tokens and secrets are never logged. */
  readonly log?: Logger;
  /** SIP agent for calls with a `sipTarget` (default: one bound lazily on 127.0.0.1). */
  readonly sip?: SipAgent;
  /** Stages run in front of every route handler (default: fault injection from `state.faults`). */
  readonly stages?: readonly Stage[];
  /** Clock, epoch milliseconds (default `Date.now`): token and refresh-token expiry, timestamps. */
  readonly now?: () => number;
  /** id_token signer (default: `createIdTokenSigner()`, the process's RSA key pair, made asynchronously). */
  readonly idTokens?: IdTokenSigner;
  /** Aborted when the simulator closes, so injected delays end with it. */
  readonly closing?: AbortSignal;
  /** Wire facts to get wrong on purpose (profile.ts; the conformance kit's negative test); default CXone's. */
  readonly profile?: Partial<WireProfile>;
  /** The gateway the agent desktop reads screen-pops from (default: none until connected). */
  readonly desktop?: DesktopGatewayLink;
}

const STATE_COLLECTIONS = new Set(['signals', 'contacts', 'tokens', 'calls', 'db']);

/** Builds the simulator's Express app over `state` without listening. */
export function createSimulatorApp(state: SimulatorState, options: SimulatorAppOptions = {}): Application {
  const log = options.log ?? pino({ level: 'silent' });
  const deps: RouteDeps = {
    state,
    behaviour: resolveBehaviour(options),
    sip: options.sip ?? new SipAgent({ log }),
    log,
    now: options.now ?? Date.now,
    idTokens: options.idTokens ?? createIdTokenSigner(),
    profile: resolveProfile(options.profile),
  };
  const stages = options.stages ?? [createFaultStage(state.faults)];
  const closing = options.closing ?? new AbortController().signal;
  const bodyProblems = new WeakMap<Request, BodyProblem>();

  const app = jsonServer.create();
  app.disable('x-powered-by');
  app.use((req: Request, res: Response, next: NextFunction) => {
    res.setHeader('CorrelationId', randomUUID());
    res.on('finish', () => log.debug({ method: req.method, path: req.path, status: res.statusCode }, 'request'));
    next();
  });
  app.use(requestLineLimit);
  app.use(bodyStage(bodyProblems));

  const routes: RouteDef[] = [
    ...oauthRoutes(deps),
    ...discoveryRoutes(deps),
    ...apiRoutes(deps),
    ...controlRoutes(deps),
    ...desktopRoutes(deps, options.desktop ?? new DesktopGatewayLink()),
  ];
  for (const route of routes) {
    app[route.method](route.path, (req: Request, res: Response) => {
      // A traced gateway sends W3C trace context; the line lets a test (or a developer) follow one
      // trace id from the gateway's spans to CXone's side. Only the CXone routes, only the header.
      const { traceparent } = req.headers;
      if (route.fault !== undefined && typeof traceparent === 'string') log.info({ route: route.fault, traceparent: traceparent.slice(0, 64) }, 'traceparent received');
      const ctx: RouteContext = { req, route, log, baseUrl: baseUrl(req), bodyProblem: bodyProblems.get(req), signal: closing };
      runPipeline(stages, route.handle, ctx)
        .catch((error: unknown) => {
          log.error({ err: error, path: req.path }, 'simulator route failed');
          return errorForStatus(route.shape, 500, 'The simulator failed to handle this request.');
        })
        .then(
          (reply) => sendReply(res, reply),
          (error: unknown) => log.error({ err: error, path: req.path }, 'simulator could not send its reply'),
        );
    });
  }

  state.router.render = (req: Request, res: Response) => {
    const data: unknown = res.locals.data;
    if (res.statusCode === 404 && (data === undefined || (typeof data === 'object' && data !== null && Object.keys(data).length === 0))) {
      sendReply(res, apiError('not_found', `Nothing at ${req.method} ${req.originalUrl.split('?')[0] ?? ''}.`));
      return;
    }
    res.jsonp(data);
  };
  app.use('/_sim', (req: Request, res: Response, next: NextFunction) => {
    if (req.method === 'GET' || req.method === 'HEAD') return next();
    const collection = req.path.split('/')[1] ?? '';
    sendReply(
      res,
      STATE_COLLECTIONS.has(collection)
        ? { ...apiError('method_not_allowed', 'State under /_sim is read-only; use the control routes to change it.'), headers: { Allow: 'GET, HEAD' } }
        : apiError('not_found', `Nothing at ${req.method} ${req.path}.`),
    );
  });
  app.use('/_sim', state.router);

  app.use((req: Request, res: Response) => sendReply(res, apiError('not_found', `Nothing at ${req.method} ${req.path}.`)));
  // Express's own failures (a malformed percent-encoding in the path, …): JSON, never a stack.
  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    const status = httpStatusOf(error);
    if (status >= 500) log.error({ err: error, path: req.path }, 'simulator request failed');
    if (res.headersSent) {
      res.socket?.destroy();
      return;
    }
    sendReply(res, errorForStatus('cxone', status, status >= 500 ? 'The simulator failed to handle this request.' : 'The request could not be understood.'));
  });
  return app;
}

/**
 * A front end's request-line limit: longer than `MAX_REQUEST_LINE_BYTES` → 414 before routing and
 * before the body is read, for every path, as a load balancer in front of CXone would. It is
 * middleware rather than a route stage so that replacing the route stages (`stages` option) or
 * requesting an unknown path cannot skip it. Node's own parser limit (the server's
 * `maxHeaderSize`, raised in index.ts) is far above it, so this rule is the one clients meet.
 */
function requestLineLimit(req: Request, res: Response, next: NextFunction): void {
  const bytes = requestLineBytes(req.method, req.originalUrl);
  if (bytes <= MAX_REQUEST_LINE_BYTES) return next();
  sendReply(res, apiError('uri_too_long', `The request line is ${bytes} bytes, over the limit of ${MAX_REQUEST_LINE_BYTES}; send p1..p9 in a JSON body.`));
}

/** Parses JSON and form bodies with json-server's parsers; a failure is noted for the route to answer in its shape. */
function bodyStage(problems: WeakMap<Request, BodyProblem>) {
  const [parseJson, parseForm] = jsonServer.bodyParser;
  return (req: Request, res: Response, next: NextFunction): void => {
    const noted = (then: () => void) => (error?: unknown) => {
      if (error === undefined || error === null) return then();
      problems.set(req, bodyProblemOf(error));
      next();
    };
    parseJson(req, res, noted(() => parseForm(req, res, noted(() => next()))));
  };
}

function bodyProblemOf(error: unknown): BodyProblem {
  const type = typeof error === 'object' && error !== null && 'type' in error ? error.type : undefined;
  if (type === 'entity.too.large') return 'too_large';
  if (type === 'charset.unsupported' || type === 'encoding.unsupported') return 'unsupported_encoding';
  return 'malformed';
}

function httpStatusOf(error: unknown): number {
  const status = typeof error === 'object' && error !== null && 'status' in error ? error.status : undefined;
  return typeof status === 'number' && status >= 400 && status <= 599 ? status : 500;
}

/** The origin the client used to reach us; issuer and api_endpoint are derived from it. */
function baseUrl(req: Request): string {
  const host = req.get('host') ?? `${req.socket.localAddress ?? '127.0.0.1'}:${req.socket.localPort ?? 80}`;
  return `${req.protocol}://${host}`;
}
