/** parseInvite: what CXone's INVITEs look like in the wild, and everything the parser must refuse. */
import { describe, expect, it } from 'vitest';
import { SipParseError } from '../../src/handoff/errors.js';
import { type ParsedInvite } from '../../src/handoff/model.js';
import { addressUri, parseInvite } from '../../src/handoff/sip-invite.js';

const SDP = ['v=0', 'o=- 1 1 IN IP4 10.0.0.1', 's=-', 'c=IN IP4 10.0.0.1', 't=0 0', 'm=audio 4000 RTP/AVP 0', ''].join('\r\n');

/** The simulator's INVITE (DESIGN §6): Request-URI and To carry the pseudo number. */
const HEADERS: readonly string[] = [
  'Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK776asdhds',
  'Max-Forwards: 70',
  'To: <sip:+15550100001@agent.example.com>',
  'From: "Caller" <sip:+15551230000@cxone.example.com>;tag=1928301774',
  'Call-ID: a84b4c76e66710@cxone.example.com',
  'CSeq: 314159 INVITE',
  'Contact: <sip:+15551230000@10.0.0.1:5060>',
  'X-ContactID: 123456789012',
  'Content-Type: application/sdp',
  `Content-Length: ${Buffer.byteLength(SDP)}`,
];
const REQUEST_LINE = 'INVITE sip:+15550100001@agent.example.com SIP/2.0';

function invite(options: { requestLine?: string; headers?: readonly string[]; eol?: string; body?: string } = {}): string {
  const eol = options.eol ?? '\r\n';
  return [options.requestLine ?? REQUEST_LINE, ...(options.headers ?? HEADERS), '', options.body ?? SDP].join(eol);
}

/** HEADERS with the header whose name starts with `name` replaced (or removed, with null). */
function withHeader(name: string, replacement: string | null | readonly string[]): string[] {
  const out: string[] = [];
  for (const h of HEADERS) {
    if (h.toLowerCase().startsWith(`${name.toLowerCase()}:`)) {
      if (replacement === null) continue;
      out.push(...(typeof replacement === 'string' ? [replacement] : replacement));
    } else out.push(h);
  }
  return out;
}

const parse = (text: string, contactIdHeader = 'X-ContactID', maxBytes?: number): ParsedInvite => parseInvite(text, { contactIdHeader, maxBytes });

const EXPECTED: ParsedInvite = {
  requestUri: 'sip:+15550100001@agent.example.com',
  pseudoNumber: '+15550100001',
  from: '+15551230000',
  callId: 'a84b4c76e66710@cxone.example.com',
  contactId: '123456789012',
};

describe('parseInvite accepts', () => {
  it.each<[string, string, Partial<ParsedInvite>?]>([
    ['the simulator INVITE with CRLF line ends', invite()],
    ['bare LF line ends', invite({ eol: '\n' })],
    ['no body at all', [REQUEST_LINE, ...withHeader('Content-Length', 'Content-Length: 0').filter((h) => !h.startsWith('Content-Type')), '', ''].join('\r\n')],
    ['only the header section (no blank line)', [REQUEST_LINE, ...HEADERS].join('\r\n')],
    ['blank lines before the request line', `\r\n\r\n${invite()}`],
    ['lower- and upper-case header names', invite({ headers: HEADERS.map((h) => h.replace(/^[^:]+/, (n) => (n.length % 2 ? n.toLowerCase() : n.toUpperCase()))) })],
    ['compact header forms', invite({ headers: ['v: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKx', 'Max-Forwards: 70', 't: <sip:+15550100001@a>', 'f: <sip:+15551230000@b>;tag=1', 'i: a84b4c76e66710@cxone.example.com', 'CSeq: 1 INVITE', 'm: <sip:x@10.0.0.1>', 'k: timer', 's: hi', 'e: identity', 'c: application/sdp', 'l: 0', 'X-ContactID: 123456789012'], body: '' })],
    ['folded header lines (SP and HTAB continuations)', invite({ headers: withHeader('Via', ['Via: SIP/2.0/UDP 10.0.0.1:5060', ' ;branch=z9hG4bK776asdhds']).concat(['Subject: a long', '\tsubject line']) })],
    ['a folded contact-id header', invite({ headers: withHeader('X-ContactID', ['X-ContactID:', '  123456789012']) })],
    ['whitespace around the colon', invite({ headers: withHeader('X-ContactID', 'X-ContactID  :   123456789012  ') })],
    ['several Via headers', invite({ headers: [...HEADERS, 'Via: SIP/2.0/UDP 10.0.0.2;branch=z9hG4bKy'] })],
    ['a From without angle brackets', invite({ headers: withHeader('From', 'From: sip:+15551230000@cxone.example.com;tag=1') }), { from: '+15551230000' }],
    ['a From that is not a number', invite({ headers: withHeader('From', 'From: "Anon" <sip:anonymous@anonymous.invalid>;tag=1') }), { from: 'sip:anonymous@anonymous.invalid' }],
    ['a sips: Request-URI with URI parameters', invite({ requestLine: 'INVITE sips:+15550100001@agent.example.com;transport=tls SIP/2.0' }), { requestUri: 'sips:+15550100001@agent.example.com;transport=tls' }],
    ['a tel: Request-URI', invite({ requestLine: 'INVITE tel:+15550100001 SIP/2.0' }), { requestUri: 'tel:+15550100001' }],
    ['a Request-URI without a number (pseudo number from To)', invite({ requestLine: 'INVITE sip:voice-agent@agent.example.com SIP/2.0' }), { requestUri: 'sip:voice-agent@agent.example.com', pseudoNumber: '+15550100001' }],
    ['a user part with visual separators and a password', invite({ requestLine: 'INVITE sip:+1-555-010-0001:pw@agent.example.com SIP/2.0' }), { requestUri: 'sip:+1-555-010-0001:pw@agent.example.com' }],
    ['a shortest contact id', invite({ headers: withHeader('X-ContactID', 'X-ContactID: 7') }), { contactId: '7' }],
    ['a 20-digit contact id', invite({ headers: withHeader('X-ContactID', 'X-ContactID: 12345678901234567890') }), { contactId: '12345678901234567890' }],
  ])('%s', (_name, text, override = {}) => {
    expect(parse(text)).toEqual({ ...EXPECTED, ...override });
  });

  it('reads the contact id from the tenant-configured header, case-insensitively', () => {
    const text = invite({ headers: [...withHeader('X-ContactID', null), 'x-cxone-contact: 42'] });
    expect(parse(text, 'X-CXone-Contact').contactId).toBe('42');
  });

  it('does not inspect the body (NUL or bare CR there are fine)', () => {
    expect(parse(invite({ body: 'v=0\r\nx=\0\ry\r\n' })).callId).toBe(EXPECTED.callId);
  });

  it('accepts a message of exactly maxBytes', () => {
    const text = invite();
    expect(parse(text, 'X-ContactID', Buffer.byteLength(text)).contactId).toBe(EXPECTED.contactId);
  });
});

describe('parseInvite rejects', () => {
  it.each<[string, string, string, RegExp]>([
    ['an empty message', '', 'request-line', /empty/],
    ['only blank lines', '\r\n\r\n', 'request-line', /empty/],
    ['a response', invite({ requestLine: 'SIP/2.0 200 OK' }), 'request-line', /response/],
    ['another method', invite({ requestLine: 'BYE sip:+15550100001@a SIP/2.0' }), 'method', /Only INVITE.*BYE/],
    ['a lower-case method (methods are case-sensitive)', invite({ requestLine: 'invite sip:+15550100001@a SIP/2.0' }), 'method', /Only INVITE/],
    ['a request line with extra spaces', invite({ requestLine: 'INVITE  sip:+15550100001@a SIP/2.0' }), 'request-line', /request line/],
    ['a request line without version', invite({ requestLine: 'INVITE sip:+15550100001@a' }), 'request-line', /request line/],
    ['another SIP version', invite({ requestLine: 'INVITE sip:+15550100001@a SIP/3.0' }), 'request-line', /SIP\/2\.0/],
    ['an http Request-URI', invite({ requestLine: 'INVITE http://example.com/ SIP/2.0' }), 'Request-URI', /sip:/],
    ...(
      [
        ['Via', 'Via'],
        ['To', 'To'],
        ['From', 'From'],
        ['Call-ID', 'Call-ID'],
        ['CSeq', 'CSeq'],
        ['Max-Forwards', 'Max-Forwards'],
      ] as const
    ).map(([header, field]): [string, string, string, RegExp] => [`a missing ${header}`, invite({ headers: withHeader(header, null) }), field, new RegExp(`no ${header} header`)]),
    ['an empty Via', invite({ headers: withHeader('Via', 'Via:') }), 'Via', /empty/],
    ['two To headers', invite({ headers: [...HEADERS, 'To: <sip:+15550100002@a>'] }), 'To', /more than one To/],
    ['two Call-ID headers in full and compact form', invite({ headers: [...HEADERS, 'i: other@x'] }), 'Call-ID', /more than one Call-ID/],
    ['a Call-ID with spaces', invite({ headers: withHeader('Call-ID', 'Call-ID: a b') }), 'Call-ID', /one word/],
    ['a CSeq of another method', invite({ headers: withHeader('CSeq', 'CSeq: 1 ACK') }), 'CSeq', /INVITE/],
    ['a CSeq without a number', invite({ headers: withHeader('CSeq', 'CSeq: INVITE') }), 'CSeq', /sequence number/],
    ['a non-numeric Max-Forwards', invite({ headers: withHeader('Max-Forwards', 'Max-Forwards: many') }), 'Max-Forwards', /number/],
    ['a non-numeric Content-Length', invite({ headers: withHeader('Content-Length', 'Content-Length: -1') }), 'Content-Length', /number/],
    ['a missing contact-id header', invite({ headers: withHeader('X-ContactID', null) }), 'X-ContactID', /no X-ContactID header/],
    ['an empty contact id', invite({ headers: withHeader('X-ContactID', 'X-ContactID:') }), 'X-ContactID', /1 to 20 digits/],
    ['a contact id with letters', invite({ headers: withHeader('X-ContactID', 'X-ContactID: 12ab') }), 'X-ContactID', /digits/],
    ['a negative contact id', invite({ headers: withHeader('X-ContactID', 'X-ContactID: -12') }), 'X-ContactID', /digits/],
    ['a contact id of 21 digits', invite({ headers: withHeader('X-ContactID', 'X-ContactID: 123456789012345678901') }), 'X-ContactID', /1 to 20 digits/],
    ['two contact-id headers', invite({ headers: [...HEADERS, 'x-contactid: 5'] }), 'X-ContactID', /more than one/],
    ['a NUL in a header value', invite({ headers: [...HEADERS, 'Subject: a\0b'] }), 'Subject', /NUL/],
    ['a NUL in the contact id', invite({ headers: withHeader('X-ContactID', 'X-ContactID: 12\u00003') }), 'X-ContactID', /NUL/],
    ['a bare CR in a header value', invite({ headers: withHeader('To', 'To: <sip:+15550100001@a>\rX-ContactID: 9') }), 'To', /bare CR/],
    ['a control character in a header value', invite({ headers: withHeader('From', 'From: <sip:+15551230000@a>\u0007') }), 'From', /control character/],
    ['a header line without a colon', invite({ headers: [...HEADERS.slice(0, 3), 'Garbage line', ...HEADERS.slice(3)] }), 'line 5', /Line 5 is not a "Name: value" header/],
    ['a header name with spaces', invite({ headers: [...HEADERS, 'X Bad: 1'] }), `line ${HEADERS.length + 2}`, /not a "Name: value"/],
    ['a continuation line before any header', invite({ headers: [' folded', ...HEADERS] }), 'line 2', /continuation/],
    ['a pseudo number without +', invite({ requestLine: 'INVITE sip:15550100001@a SIP/2.0', headers: withHeader('To', 'To: <sip:15550100001@a>') }), 'Request-URI', /E\.164/],
    ['a pseudo number that is too long', invite({ requestLine: 'INVITE sip:+1555010000123456@a SIP/2.0', headers: withHeader('To', 'To: <sip:agent@a>') }), 'Request-URI', /E\.164/],
    ['a pseudo number starting with +0', invite({ requestLine: 'INVITE sip:+05550100001@a SIP/2.0', headers: withHeader('To', 'To: <sip:agent@a>') }), 'Request-URI', /E\.164/],
    ['a To with an unclosed <', invite({ headers: withHeader('To', 'To: <sip:+15550100001@a') }), 'To', /without ">"/],
    ['a To with an empty URI', invite({ headers: withHeader('To', 'To: "x" <>') }), 'To', /empty URI/],
  ])('%s', (_name, text, field, message) => {
    let caught: unknown;
    try {
      parse(text);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(SipParseError);
    expect((caught as SipParseError).field).toBe(field);
    expect((caught as SipParseError).message).toMatch(message);
  });

  it('rejects an oversized message by its UTF-8 size, before parsing it', () => {
    const big = invite({ body: 'é'.repeat(9_000) });
    expect(() => parse(big)).toThrow(expect.objectContaining({ field: 'message', message: expect.stringMatching(/at most 16384/) }));
    expect(() => parse(invite(), 'X-ContactID', 100)).toThrow(expect.objectContaining({ field: 'message' }));
  });

  it('never echoes the message in its errors', () => {
    const secret = 'SECRET-VALUE-9f8e7d';
    const cases = [
      invite({ requestLine: `INVITE sip:${secret}@a SIP/2.0`, headers: withHeader('To', `To: <sip:${secret}@a>`) }),
      invite({ headers: withHeader('X-ContactID', `X-ContactID: ${secret}`) }),
      invite({ headers: [...HEADERS, `${secret} no colon`] }),
      invite({ requestLine: `${secret} sip:+15550100001@a SIP/2.0` }),
      invite({ headers: withHeader('Call-ID', `Call-ID: ${secret} x`) }),
    ];
    for (const text of cases) {
      expect(() => parse(text)).toThrow(SipParseError);
      try {
        parse(text);
      } catch (error) {
        expect((error as Error).message).not.toContain(secret);
        expect((error as SipParseError).field).not.toContain(secret);
      }
    }
  });
});

describe('addressUri: From/To name-addr and addr-spec (RFC 3261 §20.10, §20.20, §25.1)', () => {
  it.each<[string, string, string]>([
    ['a bare name-addr', '<sip:+15550200002@h>', 'sip:+15550200002@h'],
    ['a quoted display name and a tag', '"Caller" <sip:+15550200002@h>;tag=1', 'sip:+15550200002@h'],
    ['a URI inside the quoted display name (issue 13 defect 8)', '"<sip:+15550100001@x>" <sip:+15550200002@h>', 'sip:+15550200002@h'],
    ['a quoted display name glued to the <', '"<sip:+15550100001@x>"<sip:+15550200002@h>', 'sip:+15550200002@h'],
    ['escaped quotes around a URI in the display name', '"a \\"<sip:+15550100001@x>\\" b" <sip:+15550200002@h>', 'sip:+15550200002@h'],
    ['an escaped backslash just before the closing quote', '"a\\\\" <sip:+15550200002@h>', 'sip:+15550200002@h'],
    ['an escaped > and < in the display name', '"\\<sip:+15550100001@x\\>" <sip:+15550200002@h>', 'sip:+15550200002@h'],
    ['a comment holding a URI', '(ring <sip:+15550100001@x>) <sip:+15550200002@h>', 'sip:+15550200002@h'],
    ['a nested comment holding a URI', '(a (b <sip:+15550100001@x>) c) <sip:+15550200002@h>', 'sip:+15550200002@h'],
    ['a comment with an escaped parenthesis', '(a \\) <sip:+15550100001@x>) <sip:+15550200002@h>', 'sip:+15550200002@h'],
    ['a quote inside a comment is literal', '(say "hi) <sip:+15550200002@h>', 'sip:+15550200002@h'],
    ['a token display name', 'Bob Smith <sip:+15550200002@h>', 'sip:+15550200002@h'],
    ['an empty quoted display name', '"" <sip:+15550200002@h>', 'sip:+15550200002@h'],
    ['URI parameters inside the brackets', '<sip:+15550200002@h;user=phone>;tag=9', 'sip:+15550200002@h;user=phone'],
    ['a quoted parameter value holding < and >', '<sip:+15550200002@h> ;x="<sip:+15550100001@x>"', 'sip:+15550200002@h'],
    ['an addr-spec with a tag', 'sip:+15550200002@h;tag=1', 'sip:+15550200002@h'],
    ['an addr-spec with visual separators', 'sip:+1(555)020-0002@h', 'sip:+1(555)020-0002@h'],
  ])('accepts %s', (_name, value, uri) => {
    expect(addressUri(value, 'To')).toBe(uri);
  });

  it.each<[string, string, RegExp]>([
    ['only a quoted display name holding a URI', '"<sip:+15550100001@x>"', /display name but no <URI>/],
    ['a quoted display name without brackets', '"Bob" sip:+15550200002@h', /display name but no <URI>/],
    ['a URI only inside a comment', '(<sip:+15550100001@x>)', /display name but no <URI>/],
    ['an unterminated quoted display name', '"<sip:+15550100001@x> <sip:+15550200002@h>', /unterminated quoted/],
    ['a display name ending in a backslash', '"abc\\" <sip:+15550200002@h>', /unterminated quoted/],
    ['an unterminated comment', '(a <sip:+15550100001@x> <sip:+15550200002@h>', /unterminated \(comment\)/],
    ['an unclosed <', '"x" <sip:+15550200002@h', /without ">"/],
    ['an empty URI', '"x" <>', /empty URI/],
    ['two addresses', '<sip:+15550100001@x> <sip:+15550200002@h>', /not a ;parameter/],
    ['text after the URI', '<sip:+15550200002@h> junk', /not a ;parameter/],
    ['an addr-spec with spaces', 'sip:+1555 0200002@h', /no URI/],
  ])('rejects %s', (_name, value, message) => {
    expect(() => addressUri(value, 'To')).toThrow(expect.objectContaining({ name: 'SipParseError', field: 'To', message: expect.stringMatching(message) }));
  });

  it('takes the pseudo number from the To URI, not from a URI quoted in its display name', () => {
    const text = invite({
      requestLine: 'INVITE sip:voice-agent@agent.example.com SIP/2.0',
      headers: withHeader('To', 'To: "<sip:+15550100001@x>" <sip:+15550200002@h>'),
    });
    expect(parse(text).pseudoNumber).toBe('+15550200002');
  });

  it('takes the caller from the From URI, not from a URI quoted or commented in its display name', () => {
    expect(parse(invite({ headers: withHeader('From', 'From: "<sip:+15559990000@x>" <sip:+15551230000@h>;tag=1') })).from).toBe('+15551230000');
    expect(parse(invite({ headers: withHeader('From', 'From: (<sip:+15559990000@x>) <sip:+15551230000@h>;tag=1') })).from).toBe('+15551230000');
  });

  it('names the header of a malformed From', () => {
    expect(() => parse(invite({ headers: withHeader('From', 'From: "unterminated <sip:+15551230000@h>;tag=1') }))).toThrow(
      expect.objectContaining({ field: 'From', message: expect.stringMatching(/unterminated quoted/) }),
    );
  });
});
