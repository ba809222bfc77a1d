/**
 * A minimal SIP user agent client over UDP: sends the INVITE of a simulated call to a SIP target
 * (a voice platform, or sipp in tests), completes the dialog (1xx, 2xx → ACK) and hangs up with BYE
 * when the contact ends. It handles what a loopback peer needs and no more: no DNS SRV, no route
 * set (in-dialog requests go straight to the target), no CANCEL (a contact ended while ringing is
 * hung up right after the 2xx), no authentication.
 */
import dgram from 'node:dgram';
import { type Logger } from 'pino';
import { type Invite, formatSipMessage, newBranch, parseSipMessage, sipHeader, sipUri, type SipMessage } from './sip.js';
import { type DialogState } from './state.js';
import { UnreachableCaseError } from './pipeline.js';

/** Where a call's INVITE goes: `udp:host:port`. */
export interface SipTarget {
  readonly host: string;
  readonly port: number;
}

/** Parses `udp:host:port` (IPv4 address or host name); undefined when malformed. */
export function parseSipTarget(text: string): SipTarget | undefined {
  const match = /^udp:([A-Za-z0-9.-]+):(\d{1,5})$/i.exec(text);
  const port = Number(match?.[2]);
  return match?.[1] && port >= 1 && port <= 65_535 ? { host: match[1], port } : undefined;
}

export type DialogListener = (callId: string, dialog: DialogState) => void;

export interface SipAgentOptions {
  /** Address the UDP socket binds to and advertises in Via/Contact/SDP; default 127.0.0.1. */
  readonly address?: string;
  readonly log: Logger;
  /** RFC 3261 T1 (retransmission base), default 500 ms. */
  readonly t1Ms?: number;
}

interface Call {
  readonly invite: Invite;
  readonly target: SipTarget;
  readonly onDialog: DialogListener;
}

type Dialog =
  | { readonly phase: 'inviting'; readonly call: Call; endRequested: boolean; timers: Timers }
  | { readonly phase: 'confirmed'; readonly call: Call; readonly ack: string; readonly bye: string }
  | { readonly phase: 'ending'; readonly call: Call; readonly ack: string; timers: Timers }
  | { readonly phase: 'terminated'; readonly call: Call; readonly ack: string | undefined };

interface Timers {
  cancel(): void;
}

/** Sends INVITEs and keeps their dialogs; one UDP socket, bound on first use. */
export class SipAgent {
  readonly #address: string;
  readonly #log: Logger;
  readonly #t1: number;
  #socket: Promise<{ socket: dgram.Socket; port: number }> | undefined;
  /** The bound port; set before any datagram can arrive, so in-dialog requests can use it. */
  #port = 0;
  #dialogs = new Map<string, Dialog>();

  constructor(options: SipAgentOptions) {
    this.#address = options.address ?? '127.0.0.1';
    this.#log = options.log;
    this.#t1 = options.t1Ms ?? 500;
  }

  /** The address the agent binds to and advertises. */
  get address(): string {
    return this.#address;
  }

  /** The address and port the agent sends from (binding the socket if needed). */
  async localEndpoint(): Promise<{ address: string; port: number }> {
    const { port } = await this.#bound();
    return { address: this.#address, port };
  }

  /** Sends the INVITE and drives the dialog; `onDialog` hears each change. */
  async start(invite: Invite, target: SipTarget, onDialog: DialogListener): Promise<void> {
    const call: Call = { invite, target, onDialog };
    const dialog: Dialog = { phase: 'inviting', call, endRequested: false, timers: { cancel: () => undefined } };
    this.#dialogs.set(invite.callId, dialog);
    onDialog(invite.callId, 'inviting');
    dialog.timers = await this.#retransmit(invite.text, target, false, () => this.#terminate(invite.callId, undefined));
  }

  /** Hangs up: BYE if confirmed, right after the 2xx if still inviting, nothing otherwise. */
  end(callId: string): void {
    const dialog = this.#dialogs.get(callId);
    if (dialog?.phase === 'inviting') dialog.endRequested = true;
    if (dialog?.phase === 'confirmed') void this.#sendBye(callId, dialog);
  }

  /** Forgets every dialog without signalling (used by the simulator's reset). */
  reset(): void {
    for (const dialog of this.#dialogs.values()) {
      if (dialog.phase === 'inviting' || dialog.phase === 'ending') dialog.timers.cancel();
    }
    this.#dialogs.clear();
  }

  async close(): Promise<void> {
    this.reset();
    const bound = await this.#socket?.catch(() => undefined);
    this.#socket = undefined;
    if (bound !== undefined) await new Promise<void>((resolve) => bound.socket.close(() => resolve()));
  }

  #bound(): Promise<{ socket: dgram.Socket; port: number }> {
    this.#socket ??= new Promise((resolve, reject) => {
      const socket = dgram.createSocket('udp4');
      socket.once('error', reject);
      socket.on('message', (data, peer) => this.#receive(data.toString('utf8'), peer));
      socket.bind(0, this.#address, () => {
        socket.off('error', reject);
        socket.on('error', (error) => this.#log.warn({ err: error }, 'SIP socket error'));
        socket.unref();
        this.#port = socket.address().port;
        resolve({ socket, port: this.#port });
      });
    });
    return this.#socket;
  }

  async #send(text: string, to: SipTarget): Promise<void> {
    const { socket } = await this.#bound();
    socket.send(text, to.port, to.host, (error) => {
      if (error) this.#log.warn({ err: error }, 'SIP send failed');
    });
  }

  /**
   * Sends now and retransmits on RFC 3261 timers (A/E: T1 doubling, capped at 4 s for non-INVITE)
   * until cancelled; gives up after 64·T1 (timers B/F).
   */
  async #retransmit(text: string, to: SipTarget, capped: boolean, onTimeout: () => void): Promise<Timers> {
    await this.#send(text, to);
    let interval = this.#t1;
    let timer: NodeJS.Timeout | undefined;
    const schedule = (): void => {
      timer = setTimeout(() => {
        void this.#send(text, to);
        interval = capped ? Math.min(interval * 2, 4_000) : interval * 2;
        schedule();
      }, interval).unref();
    };
    schedule();
    const giveUp = setTimeout(() => {
      clearTimeout(timer);
      onTimeout();
    }, 64 * this.#t1).unref();
    return {
      cancel: () => {
        clearTimeout(timer);
        clearTimeout(giveUp);
      },
    };
  }

  #receive(text: string, peer: dgram.RemoteInfo): void {
    const message = parseSipMessage(text);
    const callId = message === undefined ? undefined : sipHeader(message, 'call-id');
    if (message === undefined || callId === undefined) return;
    this.#log.debug({ callId, message: message.kind === 'request' ? message.method : message.status }, 'SIP received');
    if (message.kind === 'request') {
      this.#answerRequest(message, callId, { host: peer.address, port: peer.port });
      return;
    }
    const method = sipHeader(message, 'cseq')?.split(/\s+/)[1]?.toUpperCase();
    if (method === 'INVITE') this.#inviteResponse(message, callId);
    else if (method === 'BYE' && message.status >= 200) this.#terminate(callId, undefined);
  }

  #inviteResponse(message: Extract<SipMessage, { kind: 'response' }>, callId: string): void {
    const dialog = this.#dialogs.get(callId);
    if (dialog === undefined) return;
    const { call } = dialog;
    switch (dialog.phase) {
      case 'inviting': {
        if (message.status < 200) {
          dialog.timers.cancel(); // proceeding: the peer has the INVITE
          return;
        }
        dialog.timers.cancel();
        const to = sipHeader(message, 'to') ?? call.invite.toHeader;
        if (message.status >= 300) {
          // A non-2xx ACK belongs to the INVITE transaction: same branch, same Request-URI.
          const ack = this.#inDialog('ACK', call.invite.requestUri, call, to, 1, call.invite.branch);
          void this.#send(ack, call.target);
          this.#terminate(callId, ack);
          return;
        }
        const remoteTarget = sipUri(sipHeader(message, 'contact')) ?? call.invite.requestUri;
        const ack = this.#inDialog('ACK', remoteTarget, call, to, 1, newBranch());
        const bye = this.#inDialog('BYE', remoteTarget, call, to, 2, newBranch());
        const confirmed: Dialog = { phase: 'confirmed', call, ack, bye };
        this.#dialogs.set(callId, confirmed);
        void this.#send(ack, call.target);
        call.onDialog(callId, 'confirmed');
        if (dialog.endRequested) void this.#sendBye(callId, confirmed);
        return;
      }
      case 'confirmed':
      case 'ending':
      case 'terminated':
        // The peer did not see our ACK and retransmits its 2xx: ACK again.
        if (message.status >= 200 && message.status < 300 && dialog.ack !== undefined) void this.#send(dialog.ack, call.target);
        return;
      default:
        throw new UnreachableCaseError(dialog);
    }
  }

  async #sendBye(callId: string, dialog: Extract<Dialog, { phase: 'confirmed' }>): Promise<void> {
    const ending: Dialog = { phase: 'ending', call: dialog.call, ack: dialog.ack, timers: { cancel: () => undefined } };
    this.#dialogs.set(callId, ending);
    ending.timers = await this.#retransmit(dialog.bye, dialog.call.target, true, () => this.#terminate(callId, dialog.ack));
  }

  #terminate(callId: string, ack: string | undefined): void {
    const dialog = this.#dialogs.get(callId);
    if (dialog === undefined || dialog.phase === 'terminated') return;
    if (dialog.phase === 'inviting' || dialog.phase === 'ending') dialog.timers.cancel();
    const lastAck = ack ?? (dialog.phase === 'inviting' ? undefined : dialog.ack);
    this.#dialogs.set(callId, { phase: 'terminated', call: dialog.call, ack: lastAck });
    dialog.call.onDialog(callId, 'terminated');
  }

  /** A request inside the dialog (ACK, BYE) built from the INVITE and the peer's To. */
  #inDialog(method: 'ACK' | 'BYE', uri: string, call: Call, to: string, cseq: number, branch: string): string {
    return formatSipMessage(`${method} ${uri} SIP/2.0`, [
      ['Via', `SIP/2.0/UDP ${this.#address}:${this.#port};branch=${branch};rport`],
      ['Max-Forwards', '70'],
      ['From', call.invite.fromHeader],
      ['To', to],
      ['Call-ID', call.invite.callId],
      ['CSeq', `${cseq} ${method}`],
      ['User-Agent', 'cxone-simulator'],
    ]);
  }

  /** Answers the peer's own requests: BYE ends the dialog (the contact stays), others are declined. */
  #answerRequest(message: Extract<SipMessage, { kind: 'request' }>, callId: string, peer: SipTarget): void {
    if (message.method === 'ACK') return;
    const known = this.#dialogs.has(callId);
    const [status, reason] =
      message.method === 'BYE' ? (known ? [200, 'OK'] : [481, 'Call/Transaction Does Not Exist']) : message.method === 'OPTIONS' ? [200, 'OK'] : [501, 'Not Implemented'];
    const copied = message.headers.filter(([name]) => ['via', 'v', 'from', 'f', 'to', 't', 'call-id', 'i', 'cseq'].includes(name.toLowerCase()));
    void this.#send(formatSipMessage(`SIP/2.0 ${status} ${reason}`, copied), peer);
    if (message.method === 'BYE' && known) this.#terminate(callId, undefined);
  }
}
