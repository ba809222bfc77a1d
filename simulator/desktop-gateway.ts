/**
 * Where the agent desktop (`GET /_sim/desktop`) gets its screen-pop: the gateway's REST Handoff API
 * (`GET {gatewayUrl}/v1/{accountId}/{projectId}/handoff_state?shared_id={contactId}` with
 * `x-api-key`), as a CXone agent desktop or Studio snippet asks it (docs/architecture.md, "The call
 * flow").
 *
 * The simulator asks on the page's behalf (a same-origin proxy, `GET /_sim/desktop/screen-pop/{id}`):
 * the page then talks to one origin only, needs no CORS on the gateway, and never holds the read key,
 * which stays in this process. The link is set after start (`RunningSimulator.connectDesktop`),
 * because the gateway is configured with the simulator's URL and so starts after it.
 */

/** The gateway the desktop reads screen-pops from. */
export interface DesktopGateway {
  /** Base URL of the gateway, e.g. `http://127.0.0.1:4000`. */
  readonly gatewayUrl: string;
  /** The tenant's PolyAI account and project (its `polyai` in the tenants file). */
  readonly accountId: string;
  readonly projectId: string;
  /** A Handoff API key of the tenant (`read` scope is enough). Never logged, never sent to the page. */
  readonly apiKey: string;
}

/** What the proxy answers: the gateway's status and JSON body, or why there is none. */
export type ScreenPopFetch =
  | { readonly kind: 'answered'; readonly status: number; readonly body: unknown }
  | { readonly kind: 'not-connected' }
  | { readonly kind: 'unreachable'; readonly reason: string };

/** How long the proxy waits for the gateway. */
const SCREEN_POP_TIMEOUT_MS = 5_000;

/** The desktop's link to a gateway; unset until `connect`. */
export class DesktopGatewayLink {
  #target: DesktopGateway | undefined;

  constructor(target?: DesktopGateway) {
    this.#target = target;
  }

  connect(target: DesktopGateway): void {
    this.#target = Object.freeze({ ...target, gatewayUrl: target.gatewayUrl.replace(/\/+$/, '') });
  }

  /** The gateway's base URL (for the page to show), or null when not connected. */
  get gatewayUrl(): string | null {
    return this.#target?.gatewayUrl ?? null;
  }

  /** Asks the gateway's Handoff API for the contact's screen-pop. */
  async screenPop(contactId: string, signal?: AbortSignal): Promise<ScreenPopFetch> {
    const target = this.#target;
    if (target === undefined) return { kind: 'not-connected' };
    const path = `/v1/${encodeURIComponent(target.accountId)}/${encodeURIComponent(target.projectId)}/handoff_state`;
    const url = `${target.gatewayUrl}${path}?shared_id=${encodeURIComponent(contactId)}`;
    const signals = [AbortSignal.timeout(SCREEN_POP_TIMEOUT_MS), ...(signal ? [signal] : [])];
    try {
      const res = await fetch(url, { headers: { 'x-api-key': target.apiKey, accept: 'application/json' }, signal: AbortSignal.any(signals) });
      const text = await res.text();
      let body: unknown;
      try {
        body = JSON.parse(text) as unknown;
      } catch {
        return { kind: 'unreachable', reason: `the gateway answered ${res.status} without JSON` };
      }
      return { kind: 'answered', status: res.status, body };
    } catch (error) {
      return { kind: 'unreachable', reason: error instanceof Error && error.name === 'TimeoutError' ? 'the gateway did not answer in time' : 'the gateway could not be reached' };
    }
  }
}
