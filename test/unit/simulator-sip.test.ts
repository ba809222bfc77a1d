import { describe, expect, it } from 'vitest';
import { parseInvite } from '../../src/handoff/sip-invite.js';
import { buildInvite, parseSipMessage, parseSipTarget, sipHeader } from '../../simulator/index.js';

const invite = buildInvite({
  pseudoNumber: '+15550100001',
  from: '+15557654321',
  contactId: '123456789012',
  masterContactId: '123456789000',
  callId: 'abc@127.0.0.1',
  fromTag: 'ftag',
  branch: 'z9hG4bKbranch',
  local: { address: '127.0.0.1', port: 5070 },
  target: '127.0.0.1:5062',
});

describe('simulator SIP messages', () => {
  it('builds an INVITE the parser reads back', () => {
    const message = parseSipMessage(invite.text);
    expect(message).toMatchObject({ kind: 'request', method: 'INVITE', uri: 'sip:+15550100001@127.0.0.1:5062' });
    if (message === undefined) return;
    expect(sipHeader(message, 'x-incontact-contactid')).toBe('123456789012');
    expect(sipHeader(message, 'x-incontact-masterid')).toBe('123456789000');
    expect(message.headers.filter(([name]) => /^x-cxone/i.test(name))).toEqual([]); // no context seeded, no context headers
    expect(sipHeader(message, 'Via')).toBe('SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKbranch;rport');
    expect(sipHeader(message, 'from')).toBe('<sip:+15557654321@127.0.0.1>;tag=ftag');
    expect(Number(sipHeader(message, 'content-length'))).toBe(Buffer.byteLength(message.body));
    expect(invite).toMatchObject({ requestUri: 'sip:+15550100001@127.0.0.1:5062', toHeader: '<sip:+15550100001@127.0.0.1:5062>' });
  });

  it('carries a Sipputheader-style contact-id header and the seeded context as one-line JSON headers', () => {
    const context = { standard: { ani: '+15557654321', 'a"b': 'x\ny' }, custom: { ivaParams: '{"tier":"gold"}' } };
    const built = buildInvite({
      pseudoNumber: '+15550100001',
      from: '+15557654321',
      contactId: '123456789012',
      masterContactId: '123456789000',
      contactIdHeader: 'X-Contact-ID',
      context,
      callId: 'abc@127.0.0.1',
      fromTag: 'ftag',
      branch: 'z9hG4bKbranch',
      local: { address: '127.0.0.1', port: 5070 },
      target: '127.0.0.1:5062',
    });
    const message = parseSipMessage(built.text);
    if (message === undefined) throw new Error('not SIP');
    expect(message.headers.map(([name]) => name)).toEqual(
      expect.arrayContaining(['X-InContact-ContactId', 'X-InContact-MasterId', 'X-Contact-ID', 'X-CXone', 'X-CXone-Custom']),
    );
    expect(sipHeader(message, 'x-contact-id')).toBe('123456789012');
    expect(JSON.parse(sipHeader(message, 'x-cxone') ?? '')).toEqual(context.standard);
    expect(JSON.parse(sipHeader(message, 'x-cxone-custom') ?? '')).toEqual(context.custom);
    expect(sipHeader(message, 'x-cxone-extended')).toBeUndefined();

    // The gateway's parser reads what the simulator sends.
    const parsed = parseInvite(built.text, { contactIdHeaders: ['X-InContact-ContactId', 'X-Contact-ID'] });
    expect(parsed).toMatchObject({ contactId: '123456789012', masterContactId: '123456789000', cxoneContext: { ...context, extended: null }, warnings: [] });
  });

  it('reads responses with compact and folded headers', () => {
    const message = parseSipMessage('SIP/2.0 180 Ringing\r\ni: call-1\r\nt: <sip:a@b>\r\n ;tag=x\r\nl: 0\r\n\r\n');
    expect(message).toMatchObject({ kind: 'response', status: 180, reason: 'Ringing' });
    if (message === undefined) return;
    expect(sipHeader(message, 'call-id')).toBe('call-1');
    expect(sipHeader(message, 'to')).toBe('<sip:a@b> ;tag=x');
  });

  it('rejects text that is not SIP', () => {
    expect(parseSipMessage('GET / HTTP/1.1\r\n\r\n')).toBeUndefined();
  });

  it.each([
    { text: 'udp:127.0.0.1:5060', expected: { host: '127.0.0.1', port: 5060 } },
    { text: 'UDP:voice.local:15060', expected: { host: 'voice.local', port: 15060 } },
    { text: 'udp:127.0.0.1:0', expected: undefined },
    { text: 'udp:127.0.0.1:70000', expected: undefined },
    { text: 'tcp:127.0.0.1:5060', expected: undefined },
    { text: '127.0.0.1:5060', expected: undefined },
  ])('parses sipTarget $text', ({ text, expected }) => {
    expect(parseSipTarget(text)).toEqual(expected);
  });
});
