/**
 * The agent desktop under `/_sim/desktop` (docs/simulator.md, "Agent desktop"): the page and its two
 * files, the calls with their timelines, and the same-origin proxy to the gateway's Handoff API for
 * the screen-pop (desktop-gateway.ts says why a proxy).
 */
import { apiError } from '../errors.js';
import { desktopCalls } from '../desktop.js';
import { DESKTOP_CSS, DESKTOP_HEADERS, DESKTOP_HTML, DESKTOP_JS } from '../desktop-page.js';
import { type DesktopGatewayLink } from '../desktop-gateway.js';
import { type RouteDeps } from '../options.js';
import { pathParam, type Reply, type RouteContext, type RouteDef } from '../pipeline.js';

const CONTACT_ID = /^\d{1,20}$/;

function text(contentType: string, body: string): Reply {
  return { kind: 'text', status: 200, contentType, text: body, headers: DESKTOP_HEADERS };
}

export function desktopRoutes(deps: RouteDeps, link: DesktopGatewayLink): RouteDef[] {
  const route = (path: string, handle: RouteDef['handle']): RouteDef => ({ method: 'get', path: `/_sim/desktop${path}`, shape: 'cxone', handle });
  return [
    route('', () => text('text/html; charset=utf-8', DESKTOP_HTML)),
    route('/desktop.css', () => text('text/css; charset=utf-8', DESKTOP_CSS)),
    route('/desktop.js', () => text('text/javascript; charset=utf-8', DESKTOP_JS)),
    route('/calls', () => ({ kind: 'json', status: 200, body: { gateway: link.gatewayUrl, calls: desktopCalls(deps.state, deps.now()) }, headers: { 'Cache-Control': 'no-store' } })),
    route('/screen-pop/:contactId', (ctx) => screenPop(ctx, link)),
  ];
}

/** The gateway's answer passed through (status and JSON body); 503 before a gateway is connected, 502 when it cannot be reached. */
async function screenPop(ctx: RouteContext, link: DesktopGatewayLink): Promise<Reply> {
  const contactId = pathParam(ctx, 'contactId') ?? '';
  if (!CONTACT_ID.test(contactId)) return apiError('invalid_contact_id', 'The contact id must be 1 to 20 digits.');
  const fetched = await link.screenPop(contactId, ctx.signal);
  switch (fetched.kind) {
    case 'answered':
      return { kind: 'json', status: fetched.status, body: fetched.body, headers: { 'Cache-Control': 'no-store' } };
    case 'not-connected':
      return apiError('service_unavailable', 'No gateway is connected to the desktop; `npm start` connects one (RunningSimulator.connectDesktop).');
    case 'unreachable':
      ctx.log.warn({ contactId, reason: fetched.reason }, 'desktop screen-pop failed');
      return apiError('bad_gateway', `No screen-pop: ${fetched.reason}.`);
  }
}
