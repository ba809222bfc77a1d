/**
 * SIP messages as text (RFC 3261): the INVITE CXone would send a voice platform, the in-dialog
 * requests (ACK, BYE) and responses the UDP agent needs, and a parser just large enough to read a
 * peer's responses and requests. Lines end in CRLF; Content-Length is always computed.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { CONTACT_ID_HEADER, CONTEXT_HEADERS, MASTER_ID_HEADER, type CallContextSeed } from './seed.js';

/** A SIP message as parsed by {@link parseSipMessage}. */
export type SipMessage =
  | { readonly kind: 'request'; readonly method: string; readonly uri: string; readonly headers: SipHeaders; readonly body: string }
  | { readonly kind: 'response'; readonly status: number; readonly reason: string; readonly headers: SipHeaders; readonly body: string };

/** Header fields in order, names as received. */
export type SipHeaders = readonly (readonly [name: string, value: string])[];

const CRLF = '\r\n';

// RFC 3261 §7.3.3 compact forms, so a peer answering `i:` instead of `Call-ID:` is still understood.
const COMPACT: Readonly<Record<string, string>> = {
  i: 'call-id',
  f: 'from',
  t: 'to',
  m: 'contact',
  v: 'via',
  l: 'content-length',
  c: 'content-type',
};

/** Renders a request or status line, headers and body, with a correct Content-Length. */
export function formatSipMessage(startLine: string, headers: SipHeaders, body = ''): string {
  const lines = [startLine, ...headers.map(([name, value]) => `${name}: ${value}`), `Content-Length: ${Buffer.byteLength(body)}`];
  return `${lines.join(CRLF)}${CRLF}${CRLF}${body}`;
}

/** Parses one SIP message (one UDP datagram); undefined when it is not SIP. */
export function parseSipMessage(text: string): SipMessage | undefined {
  const split = text.indexOf(`${CRLF}${CRLF}`);
  const head = split === -1 ? text : text.slice(0, split);
  const body = split === -1 ? '' : text.slice(split + 4);
  const [startLine = '', ...rawLines] = head.split(CRLF);
  const headers: [string, string][] = [];
  for (const line of rawLines) {
    const last = headers.at(-1);
    if (/^[ \t]/.test(line) && last !== undefined) {
      last[1] = `${last[1]} ${line.trim()}`; // folded continuation line
      continue;
    }
    const colon = line.indexOf(':');
    if (colon > 0) headers.push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()]);
  }
  const status = /^SIP\/2\.0 (\d{3}) ?(.*)$/.exec(startLine);
  if (status) return { kind: 'response', status: Number(status[1]), reason: status[2] ?? '', headers, body };
  const request = /^([A-Z]+) (\S+) SIP\/2\.0$/.exec(startLine);
  if (request?.[1] && request[2]) return { kind: 'request', method: request[1], uri: request[2], headers, body };
  return undefined;
}

/** The first value of a header, by name or compact form, case-insensitively. */
export function sipHeader(message: SipMessage, name: string): string | undefined {
  const wanted = name.toLowerCase();
  return message.headers.find(([candidate]) => {
    const lower = candidate.toLowerCase();
    return lower === wanted || COMPACT[lower] === wanted;
  })?.[1];
}

/** The `tag` parameter of a From/To header value. */
export function sipTag(value: string | undefined): string | undefined {
  return value === undefined ? undefined : /;\s*tag=([^;\s>]+)/i.exec(value)?.[1];
}

/** The URI of a name-addr (`<sip:...>`) or addr-spec header value, such as Contact. */
export function sipUri(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const bracketed = /<([^>]+)>/.exec(value);
  return bracketed?.[1] ?? value.split(';')[0]?.trim();
}

/** A Via branch with RFC 3261's magic cookie. */
export const newBranch = (): string => `z9hG4bK${randomBytes(8).toString('hex')}`;
export const newTag = (): string => randomBytes(6).toString('hex');
export const newCallId = (host: string): string => `${randomUUID()}@${host}`;

/** What an INVITE is built from. */
export interface InviteSpec {
  readonly pseudoNumber: string;
  readonly from: string;
  /** The spawned contact (X-InContact-ContactId). */
  readonly contactId: string;
  /** Its master contact (X-InContact-MasterId). */
  readonly masterContactId: string;
  /** A further header carrying `contactId`, as a Studio Sipputheader action adds (none by default). */
  readonly contactIdHeader?: string | undefined;
  /** JSON for X-CXone, X-CXone-Custom, X-CXone-Extended; a missing key sends no header. */
  readonly context?: CallContextSeed | undefined;
  readonly callId: string;
  readonly fromTag: string;
  readonly branch: string;
  /** Where the simulator listens for SIP (Via, Contact, SDP). */
  readonly local: { readonly address: string; readonly port: number };
  /** The voice platform, `host:port`; a placeholder host when the INVITE is only returned. */
  readonly target: string;
}

/** The parts of an INVITE the UDP agent reuses for ACK and BYE. */
export interface Invite {
  readonly text: string;
  readonly requestUri: string;
  readonly fromHeader: string;
  readonly toHeader: string;
  readonly callId: string;
  readonly branch: string;
}

/** Builds the initial INVITE CXone sends to the voice platform for a new contact. */
export function buildInvite(spec: InviteSpec): Invite {
  const { address, port } = spec.local;
  const requestUri = `sip:${spec.pseudoNumber}@${spec.target}`;
  const fromHeader = `<sip:${spec.from}@${address}>;tag=${spec.fromTag}`;
  const toHeader = `<${requestUri}>`;
  const session = Date.now();
  const sdp = [
    'v=0',
    `o=cxone-sim ${session} ${session} IN IP4 ${address}`,
    's=cxone-sim',
    `c=IN IP4 ${address}`,
    't=0 0',
    'm=audio 40000 RTP/AVP 0 8 101',
    'a=rtpmap:0 PCMU/8000',
    'a=rtpmap:8 PCMA/8000',
    'a=rtpmap:101 telephone-event/8000',
    'a=fmtp:101 0-16',
    'a=sendrecv',
    '',
  ].join(CRLF);
  const text = formatSipMessage(
    `INVITE ${requestUri} SIP/2.0`,
    [
      ['Via', `SIP/2.0/UDP ${address}:${port};branch=${spec.branch};rport`],
      ['Max-Forwards', '70'],
      ['From', fromHeader],
      ['To', toHeader],
      ['Call-ID', spec.callId],
      ['CSeq', '1 INVITE'],
      ['Contact', `<sip:cxone-sim@${address}:${port};transport=udp>`],
      [CONTACT_ID_HEADER, spec.contactId],
      [MASTER_ID_HEADER, spec.masterContactId],
      ...(spec.contactIdHeader === undefined ? [] : [[spec.contactIdHeader, spec.contactId] as const]),
      ...(['standard', 'custom', 'extended'] as const).flatMap((key) => {
        const value = spec.context?.[key];
        return value === undefined ? [] : [[CONTEXT_HEADERS[key], JSON.stringify(value)] as const];
      }),
      ['Allow', 'INVITE, ACK, CANCEL, BYE, OPTIONS'],
      ['User-Agent', 'cxone-simulator'],
      ['Content-Type', 'application/sdp'],
    ],
    sdp,
  );
  return { text, requestUri, fromHeader, toHeader, callId: spec.callId, branch: spec.branch };
}
