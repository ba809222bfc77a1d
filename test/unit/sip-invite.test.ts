/** parseInvite: what CXone's INVITEs look like in the wild, and everything the parser must refuse. */
import { describe, expect, it } from 'vitest';
import { SipParseError } from '../../src/handoff/errors.js';
import { type ParsedInvite } from '../../src/handoff/model.js';
import { addressUri, parseInvite } from '../../src/handoff/sip-invite.js';

const SDP = ['v=0', 'o=- 1 1 IN IP4 10.0.0.1', 's=-', 'c=IN IP4 10.0.0.1', 't=0 0', 'm=audio 4000 RTP/AVP 0', ''].join('\r\n');

/** The simulator's INVITE (docs/architecture.md, "CXone wire contract"): Request-URI and To carry the pseudo number. */
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

const parse = (text: string, contactIdHeader = 'X-ContactID', maxBytes?: number): ParsedInvite => parseInvite(text, { contactIdHeaders: [contactIdHeader], maxBytes });

const EXPECTED: ParsedInvite = {
  requestUri: 'sip:+15550100001@agent.example.com',
  pseudoNumber: '+15550100001',
  from: '+15551230000',
  callId: 'a84b4c76e66710@cxone.example.com',
  contactId: '123456789012',
  masterContactId: null,
  cxoneContext: { standard: null, custom: null, extended: null },
  warnings: [],
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

/** What CXone's SIP backchannel sends (docs/architecture.md, "CXone wire contract", sources C, F): a spawned contact, its master, JSON context. */
const CXONE_HEADERS: readonly string[] = [
  ...HEADERS.filter((h) => !h.startsWith('X-ContactID:')),
  'X-InContact-ContactId: 123456789012',
  'X-InContact-MasterId: 123456789000',
  'X-CXone: {"ani":"+15551230000","customerName":"Acme","voiceSkillId":"4242"}',
  'X-CXone-Custom: {"ivaParams":"{\\"tier\\":\\"gold\\"}"}',
  'X-CXone-Extended: {"flow":{"steps":[1,2,{"x":null}]}}',
];
const DEFAULT_HEADERS = ['X-InContact-ContactId', 'X-Contact-ID'] as const;
const parseCxone = (headers: readonly string[], options: { contactIdHeaders?: readonly string[]; maxContextBytes?: number; maxContextDepth?: number } = {}): ParsedInvite =>
  parseInvite(invite({ headers }), { contactIdHeaders: DEFAULT_HEADERS, ...options });
/** CXONE_HEADERS with the header named `name` replaced by `lines` (or removed, with none). */
const cxoneWith = (name: string, ...lines: string[]): string[] => {
  const out = CXONE_HEADERS.filter((h) => !h.toLowerCase().startsWith(`${name.toLowerCase()}:`));
  return [...out, ...lines];
};

describe('parseInvite: the headers CXone sends (issue 12 §2)', () => {
  it('reads the spawned contact id, the master id and the three JSON context headers', () => {
    expect(parseCxone(CXONE_HEADERS)).toEqual({
      ...EXPECTED,
      contactId: '123456789012',
      masterContactId: '123456789000',
      cxoneContext: {
        standard: { ani: '+15551230000', customerName: 'Acme', voiceSkillId: '4242' },
        custom: { ivaParams: '{"tier":"gold"}' },
        extended: { flow: { steps: [1, 2, { x: null }] } },
      },
      warnings: [],
    });
  });

  it.each<[string, readonly string[], readonly string[], string]>([
    ['the first listed header when both are present', cxoneWith('X-Contact-ID', 'X-Contact-ID: 999'), DEFAULT_HEADERS, '123456789012'],
    ['the list order, not the INVITE order', cxoneWith('X-Contact-ID', 'X-Contact-ID: 999'), ['X-Contact-ID', 'X-InContact-ContactId'], '999'],
    ['the next header when the first is absent', cxoneWith('X-InContact-ContactId', 'X-Contact-ID: 999'), DEFAULT_HEADERS, '999'],
    ['header names in any case', cxoneWith('X-InContact-ContactId', 'x-incontact-contactid: 77'), DEFAULT_HEADERS, '77'],
  ])('takes the contact id from %s', (_name, headers, contactIdHeaders, contactId) => {
    expect(parseCxone(headers, { contactIdHeaders }).contactId).toBe(contactId);
  });

  it.each<[string, readonly string[], string, RegExp]>([
    ['none of the headers', cxoneWith('X-InContact-ContactId'), 'X-InContact-ContactId', /no X-InContact-ContactId or X-Contact-ID header with the CXone contact id/],
    ['a malformed first header, even when the next one is fine', cxoneWith('X-InContact-ContactId', 'X-InContact-ContactId: abc', 'X-Contact-ID: 999'), 'X-InContact-ContactId', /X-InContact-ContactId header must hold the contact id/],
    ['the first header twice', cxoneWith('X-InContact-ContactId', 'X-InContact-ContactId: 1', 'X-InContact-ContactId: 2'), 'X-InContact-ContactId', /more than one X-InContact-ContactId/],
    ['a NUL in the contact id', cxoneWith('X-InContact-ContactId', 'X-InContact-ContactId: 1\u00002'), 'X-InContact-ContactId', /NUL/],
  ])('refuses %s', (_name, headers, field, message) => {
    expect(() => parseCxone(headers)).toThrow(expect.objectContaining({ name: 'SipParseError', field, message: expect.stringMatching(message) }));
  });

  it.each<[string, readonly string[], RegExp]>([
    ['not digits', cxoneWith('X-InContact-MasterId', 'X-InContact-MasterId: master-1'), /^X-InContact-MasterId: not a contact id \(1 to 20 digits\); the master contact id is left null\.$/],
    ['repeated', cxoneWith('X-InContact-MasterId', 'X-InContact-MasterId: 1', 'X-InContact-MasterId: 2'), /^X-InContact-MasterId: the INVITE has more than one/],
    ['holding a control character', cxoneWith('X-InContact-MasterId', 'X-InContact-MasterId: 12\u00073'), /^X-InContact-MasterId: not a contact id/],
  ])('keeps the call with a null master id and a warning when X-InContact-MasterId is %s', (_name, headers, warning) => {
    const parsed = parseCxone(headers);
    expect(parsed).toMatchObject({ contactId: '123456789012', masterContactId: null, warnings: [expect.stringMatching(warning)] });
  });

  it('has a null master id and no warning when X-InContact-MasterId is absent', () => {
    expect(parseCxone(cxoneWith('X-InContact-MasterId'))).toMatchObject({ masterContactId: null, warnings: [] });
  });

  const deep = (levels: number): string => `${'['.repeat(levels)}${']'.repeat(levels)}`;
  it.each<[string, string, { maxContextBytes?: number; maxContextDepth?: number }, RegExp]>([
    ['not JSON', 'X-CXone-Custom: {ivaParams: nope}', {}, /not valid JSON/],
    ['truncated JSON', 'X-CXone-Custom: {"ivaParams":"{\\"tier', {}, /not valid JSON/],
    ['two JSON values', 'X-CXone-Custom: {} {}', {}, /not valid JSON/],
    ['over the size limit', `X-CXone-Custom: {"blob":"${'x'.repeat(100)}"}`, { maxContextBytes: 100 }, /^X-CXone-Custom: 111 bytes of JSON, more than the 100 accepted/],
    ['over the default 8 KiB', `X-CXone-Custom: {"blob":"${'x'.repeat(8200)}"}`, {}, /more than the 8192 accepted/],
    ['nested deeper than the limit', `X-CXone-Custom: ${deep(5)}`, { maxContextDepth: 4 }, /nested more than 4 levels deep/],
    ['nested deeper than the default 32', `X-CXone-Custom: ${deep(33)}`, {}, /nested more than 32 levels deep/],
    ['an escaped NUL (jsonb cannot store it)', 'X-CXone-Custom: {"a":"x\\u0000y"}', {}, /NUL character or a lone surrogate/],
    ['an escaped NUL in a key', 'X-CXone-Custom: {"a\\u0000":1}', {}, /NUL character or a lone surrogate/],
    ['a lone surrogate', 'X-CXone-Custom: ["\\ud800"]', {}, /NUL character or a lone surrogate/],
    ['a raw control character', 'X-CXone-Custom: {"a":"x\u0001y"}', {}, /control character/],
    ['a raw NUL', 'X-CXone-Custom: {"a":"x\u0000y"}', {}, /control character/],
  ])('keeps the call when X-CXone-Custom is %s: that context is null, with a warning naming the header', (_name, line, options, warning) => {
    const parsed = parseCxone(cxoneWith('X-CXone-Custom', line), options);
    expect(parsed.contactId).toBe('123456789012');
    expect(parsed.masterContactId).toBe('123456789000');
    expect(parsed.cxoneContext.custom).toBeNull();
    expect(parsed.cxoneContext.standard).toEqual({ ani: '+15551230000', customerName: 'Acme', voiceSkillId: '4242' });
    expect(parsed.cxoneContext.extended).toEqual({ flow: { steps: [1, 2, { x: null }] } });
    expect(parsed.warnings).toEqual([expect.stringMatching(/^X-CXone-Custom: .*; its context is left null\.$/)]);
    expect(parsed.warnings[0]).toMatch(warning);
  });

  it('reports each bad header on its own line', () => {
    const headers = cxoneWith('X-CXone', 'X-CXone: {', 'X-CXone-Extended: [', 'X-CXone-Extended: {}');
    const parsed = parseCxone(headers.filter((h) => !h.startsWith('X-CXone-Extended: {"flow"')));
    expect(parsed.cxoneContext).toEqual({ standard: null, custom: { ivaParams: '{"tier":"gold"}' }, extended: null });
    expect(parsed.warnings).toEqual(['X-CXone: not valid JSON; its context is left null.', 'X-CXone-Extended: the INVITE has more than one; its context is left null.']);
  });

  it.each<[string, string, { maxContextBytes?: number; maxContextDepth?: number }, unknown]>([
    ['exactly at the size limit', 'X-CXone-Custom: {"a":"xx"}', { maxContextBytes: 10 }, { a: 'xx' }],
    ['exactly at the depth limit', `X-CXone-Custom: ${deep(4)}`, { maxContextDepth: 4 }, [[[[]]]]],
    ['brackets inside strings (not nesting)', 'X-CXone-Custom: {"a":"[[[[[[{{{{\\"]]"}', { maxContextDepth: 1 }, { a: '[[[[[[{{{{"]]' }],
    ['a JSON scalar', 'X-CXone-Custom: "just text"', {}, 'just text'],
    ['non-ASCII text and a surrogate pair', 'X-CXone-Custom: {"name":"Zoë 🎧"}', {}, { name: 'Zoë 🎧' }],
    ['an empty header (absent)', 'X-CXone-Custom:', {}, null],
  ])('keeps X-CXone-Custom %s', (_name, line, options, custom) => {
    // Only this context header, so the tight limits apply to it alone.
    const parsed = parseCxone(cxoneWith('X-CXone-Custom', line).filter((h) => !/^X-CXone(-Extended)?:/.test(h)), options);
    expect(parsed.cxoneContext.custom).toEqual(custom);
    expect(parsed.warnings).toEqual([]);
  });

  it('unfolds a folded context header before parsing its JSON', () => {
    expect(parseCxone(cxoneWith('X-CXone', 'X-CXone: {"ani":', '  "+15551230000"}')).cxoneContext.standard).toEqual({ ani: '+15551230000' });
  });

  it('has null context and no warning for headers the INVITE does not carry', () => {
    const parsed = parseCxone(CXONE_HEADERS.filter((h) => !h.startsWith('X-CXone')));
    expect(parsed.cxoneContext).toEqual({ standard: null, custom: null, extended: null });
    expect(parsed.warnings).toEqual([]);
  });

  it('never echoes a header value in its warnings', () => {
    const secret = 'SECRET-CONTEXT-7c6b5a';
    const parsed = parseCxone(cxoneWith('X-CXone-Custom', `X-CXone-Custom: {${secret}`, `X-InContact-MasterId: ${secret}`).filter((h) => !h.startsWith('X-InContact-MasterId: 1')));
    expect(parsed.warnings).toHaveLength(2);
    expect(parsed.warnings.join('\n')).not.toContain(secret);
  });
});
