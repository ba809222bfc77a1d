import dgram from 'node:dgram';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DEMO, DEMO_CONTEXT } from '../../simulator/index.js';
import { exitOf, spawnChild } from '../helpers/processes.js';
import { requireTool } from '../helpers/tools.js';
import { createCall, passwordGrant, useSimulator } from './simulator-harness.js';

const SIPP = requireTool('sipp');

interface Sip {
  readonly startLine: string;
  readonly headers: Map<string, string>;
  readonly body: string;
}

/** Tiny SIP parser for the test peer (first value of each header, lower-cased names). */
function parse(text: string): Sip {
  const split = text.indexOf('\r\n\r\n');
  const [startLine = '', ...lines] = text.slice(0, split).split('\r\n');
  const headers = new Map<string, string>();
  for (const line of lines) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).trim().toLowerCase();
    if (!headers.has(name)) headers.set(name, line.slice(colon + 1).trim());
  }
  return { startLine, headers, body: text.slice(split + 4) };
}

const CRLF = '\r\n';

/** A scripted UDP SIP peer (the voice platform) on 127.0.0.1, port 0. */
class Peer {
  readonly received: { message: Sip; port: number }[] = [];
  readonly #socket = dgram.createSocket('udp4');
  readonly tag = 'peer-tag-1';
  /** How the peer answers an INVITE; replaced by tests. */
  onInvite: (invite: Sip, reply: (status: string, body?: string) => void) => void = (_, reply) => {
    reply('100 Trying');
    reply('180 Ringing');
    reply('200 OK', 'v=0\r\no=peer 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40002 RTP/AVP 0\r\n');
  };
  answerBye = true;

  async start(): Promise<number> {
    this.#socket.on('message', (data, from) => {
      const message = parse(data.toString());
      this.received.push({ message, port: from.port });
      const reply = (status: string, body = ''): void => this.#respond(message, status, from.port, body);
      if (message.startLine.startsWith('INVITE ')) this.onInvite(message, reply);
      if (message.startLine.startsWith('BYE ') && this.answerBye) reply('200 OK');
    });
    await new Promise<void>((resolve) => this.#socket.bind(0, '127.0.0.1', resolve));
    return this.port;
  }

  get port(): number {
    return this.#socket.address().port;
  }

  send(text: string, port: number): void {
    this.#socket.send(text, port, '127.0.0.1');
  }

  requests(method: string): Sip[] {
    return this.received.map(({ message }) => message).filter((message) => message.startLine.startsWith(`${method} `));
  }

  #respond(request: Sip, status: string, port: number, body: string): void {
    const to = request.headers.get('to') ?? '';
    const lines = [
      `SIP/2.0 ${status}`,
      `Via: ${request.headers.get('via') ?? ''}`,
      `From: ${request.headers.get('from') ?? ''}`,
      `To: ${status.startsWith('100') || to.includes('tag=') ? to : `${to};tag=${this.tag}`}`,
      `Call-ID: ${request.headers.get('call-id') ?? ''}`,
      `CSeq: ${request.headers.get('cseq') ?? ''}`,
      `Contact: <sip:agent@127.0.0.1:${this.port}>`,
      ...(body === '' ? [] : ['Content-Type: application/sdp']),
      `Content-Length: ${Buffer.byteLength(body)}`,
    ];
    this.send(`${lines.join(CRLF)}${CRLF}${CRLF}${body}`, port);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#socket.close(() => resolve()));
  }
}

describe('simulator: SIP dialog over UDP', () => {
  const sim = useSimulator();
  let peer: Peer;

  beforeEach(async () => {
    peer = new Peer();
    await peer.start();
  });
  afterEach(async () => {
    await peer.close();
  });

  const dialogOf = async (contactId: string): Promise<string> => {
    const [call] = (await (await fetch(`${sim.current.url}/_sim/calls?contactId=${contactId}`)).json()) as { dialog: string }[];
    return call?.dialog ?? 'missing';
  };
  const dialogBecomes = (contactId: string, dialog: string): Promise<void> =>
    vi.waitFor(async () => expect(await dialogOf(contactId)).toBe(dialog), { timeout: 10_000 });
  /** The first `method` request the peer received, once it has one. */
  const firstRequest = (method: string): Promise<Sip> =>
    vi.waitFor(
      () => {
        const [request] = peer.requests(method);
        if (!request) throw new Error(`the peer has received no ${method} yet`);
        return request;
      },
      { timeout: 10_000 },
    );

  it('sends the INVITE, ACKs the 200, and BYEs when the contact ends through the API', async () => {
    const call = await createCall(sim.current.url, { pseudoNumber: DEMO.pseudoNumber, sipTarget: `udp:127.0.0.1:${peer.port}` });
    await dialogBecomes(call.contactId, 'confirmed');

    const [invite] = peer.requests('INVITE');
    expect(invite?.startLine).toBe(`INVITE sip:${DEMO.pseudoNumber}@127.0.0.1:${peer.port} SIP/2.0`);
    expect(invite?.headers.get('x-incontact-contactid')).toBe(call.contactId);
    const [record] = (await (await fetch(`${sim.current.url}/_sim/calls?contactId=${call.contactId}`)).json()) as { masterContactId: string }[];
    expect(invite?.headers.get('x-incontact-masterid')).toBe(record?.masterContactId);
    expect(record?.masterContactId).not.toBe(call.contactId);
    expect(JSON.parse(invite?.headers.get('x-cxone') ?? '')).toEqual(DEMO_CONTEXT.standard);
    expect(JSON.parse(invite?.headers.get('x-cxone-custom') ?? '')).toEqual(DEMO_CONTEXT.custom);
    expect(JSON.parse(invite?.headers.get('x-cxone-extended') ?? '')).toEqual(DEMO_CONTEXT.extended);
    expect(invite?.headers.get('call-id')).toBe(call.callId);
    const simPort = peer.received[0]?.port;
    expect(invite?.headers.get('via')).toContain(`127.0.0.1:${simPort};branch=z9hG4bK`);

    const ack = await firstRequest('ACK');
    expect(ack?.startLine).toBe(`ACK sip:agent@127.0.0.1:${peer.port} SIP/2.0`);
    expect(ack?.headers.get('cseq')).toBe('1 ACK');
    expect(ack?.headers.get('call-id')).toBe(call.callId);
    expect(ack?.headers.get('to')).toContain(`tag=${peer.tag}`);
    expect(ack?.headers.get('from')).toBe(invite?.headers.get('from'));
    expect(ack?.headers.get('via')).toMatch(/branch=z9hG4bK/);
    expect(ack?.headers.get('via')).not.toBe(invite?.headers.get('via')); // a 2xx ACK is a new transaction
    expect(peer.requests('BYE')).toHaveLength(0);

    const { access_token: token } = await passwordGrant(sim.current.url);
    const end = await fetch(`${sim.current.url}/incontactapi/services/v30.0/contacts/${call.contactId}/end`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(end.status).toBe(202);
    const bye = await firstRequest('BYE');
    expect(bye?.startLine).toBe(`BYE sip:agent@127.0.0.1:${peer.port} SIP/2.0`);
    expect(bye?.headers.get('cseq')).toBe('2 BYE');
    expect(bye?.headers.get('call-id')).toBe(call.callId);
    expect(bye?.headers.get('to')).toContain(`tag=${peer.tag}`);
    expect(bye?.headers.get('max-forwards')).toBe('70');
    await dialogBecomes(call.contactId, 'terminated');
  });

  it('retransmits the INVITE until the peer answers', async () => {
    let seen = 0;
    const answer = peer.onInvite;
    peer.onInvite = (invite, reply) => {
      seen += 1;
      if (seen >= 2) answer(invite, reply); // ignore the first transmission
    };
    const call = await createCall(sim.current.url, { pseudoNumber: DEMO.pseudoNumber, sipTarget: `udp:127.0.0.1:${peer.port}` });
    await dialogBecomes(call.contactId, 'confirmed');
    expect(peer.requests('INVITE').length).toBeGreaterThanOrEqual(2);
    expect(new Set(peer.requests('INVITE').map((invite) => invite.headers.get('via'))).size).toBe(1); // same transaction
  });

  it('ACKs a retransmitted 200 again', async () => {
    let invite: Sip | undefined;
    let replyAgain: ((status: string) => void) | undefined;
    const answer = peer.onInvite;
    peer.onInvite = (message, reply) => {
      invite = message;
      replyAgain = reply;
      answer(message, reply);
    };
    const call = await createCall(sim.current.url, { pseudoNumber: DEMO.pseudoNumber, sipTarget: `udp:127.0.0.1:${peer.port}` });
    await vi.waitFor(() => expect(peer.requests('ACK')).toHaveLength(1), { timeout: 10_000 });
    expect(invite).toBeDefined();
    replyAgain?.('200 OK');
    await vi.waitFor(() => expect(peer.requests('ACK')).toHaveLength(2), { timeout: 10_000 });
    expect(await dialogOf(call.contactId)).toBe('confirmed');
  });

  it('hangs up right after the 200 when the contact ended while the call was ringing', async () => {
    let answer: (() => void) | undefined;
    const original = peer.onInvite;
    peer.onInvite = (message, reply) => {
      reply('180 Ringing');
      answer = () => original(message, reply);
    };
    const call = await createCall(sim.current.url, { pseudoNumber: DEMO.pseudoNumber, sipTarget: `udp:127.0.0.1:${peer.port}` });
    await dialogBecomes(call.contactId, 'inviting');
    await vi.waitFor(() => expect(answer).toBeDefined(), { timeout: 10_000 });
    expect((await fetch(`${sim.current.url}/_sim/contacts/${call.contactId}/end`, { method: 'POST' })).status).toBe(202);
    answer?.();
    await vi.waitFor(() => expect(peer.requests('BYE')).toHaveLength(1), { timeout: 10_000 });
    expect(peer.requests('ACK')).toHaveLength(1);
    await dialogBecomes(call.contactId, 'terminated');
  });

  it('ACKs a final error response and ends the dialog', async () => {
    peer.onInvite = (_, reply) => reply('486 Busy Here');
    const call = await createCall(sim.current.url, { pseudoNumber: DEMO.pseudoNumber, sipTarget: `udp:127.0.0.1:${peer.port}` });
    await dialogBecomes(call.contactId, 'terminated');
    const ack = await firstRequest('ACK');
    const [invite] = peer.requests('INVITE');
    expect(ack?.headers.get('via')).toBe(invite?.headers.get('via')); // same transaction as the INVITE
    expect(ack?.startLine).toBe(invite?.startLine.replace('INVITE', 'ACK'));
  });

  it('answers a BYE from the peer with 200 OK and ends the dialog, leaving the contact active', async () => {
    const call = await createCall(sim.current.url, { pseudoNumber: DEMO.pseudoNumber, sipTarget: `udp:127.0.0.1:${peer.port}` });
    await dialogBecomes(call.contactId, 'confirmed');
    const invite = peer.requests('INVITE')[0];
    const simPort = peer.received[0]?.port ?? 0;
    const bye = [
      `BYE sip:cxone-sim@127.0.0.1:${simPort} SIP/2.0`,
      `Via: SIP/2.0/UDP 127.0.0.1:${peer.port};branch=z9hG4bKpeerbye1`,
      'Max-Forwards: 70',
      `From: ${invite?.headers.get('to') ?? ''};tag=${peer.tag}`,
      `To: ${invite?.headers.get('from') ?? ''}`,
      `Call-ID: ${call.callId}`,
      'CSeq: 1 BYE',
      'Content-Length: 0',
    ];
    peer.send(`${bye.join(CRLF)}${CRLF}${CRLF}`, simPort);
    const ok = await vi.waitFor(
      () => {
        const answer = peer.received.map(({ message }) => message).find((message) => message.headers.get('cseq') === '1 BYE');
        if (!answer) throw new Error('no answer to the BYE yet');
        return answer;
      },
      { timeout: 10_000 },
    );
    expect(ok.startLine).toBe('SIP/2.0 200 OK');
    expect(ok.headers.get('via')).toContain('branch=z9hG4bKpeerbye1');
    await dialogBecomes(call.contactId, 'terminated');
    const contact = (await (await fetch(`${sim.current.url}/_sim/contacts/${call.contactId}`)).json()) as { state: string };
    expect(contact.state).toBe('active');
  });
});

describe.skipIf(SIPP === null)('simulator: SIP dialog with a real sipp UAS', () => {
  const sim = useSimulator();

  it('completes one call with `sipp -sn uas`: INVITE, 180/200, ACK, BYE on end; sipp exits 0', { timeout: 30_000 }, async () => {
    const port = await freeUdpPort();
    let output = '';
    // Killed with its process group when this test ends, whatever the outcome (helpers/processes.ts).
    const sipp = spawnChild(SIPP ?? 'sipp', ['-sn', 'uas', '-i', '127.0.0.1', '-p', String(port), '-m', '1', '-nostdin', '-timeout', '25s', '-timeout_error'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = exitOf(sipp);
    sipp.stdout?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4_000)));
    sipp.stderr?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4_000)));

    const call = await createCall(sim.current.url, { pseudoNumber: DEMO.pseudoNumber, sipTarget: `udp:127.0.0.1:${port}` });
    const dialog = async (): Promise<string | undefined> =>
      ((await (await fetch(`${sim.current.url}/_sim/calls?contactId=${call.contactId}`)).json()) as { dialog: string }[])[0]?.dialog;
    await vi.waitFor(async () => expect(await dialog()).toBe('confirmed'), { timeout: 10_000 });
    expect((await fetch(`${sim.current.url}/_sim/contacts/${call.contactId}/end`, { method: 'POST' })).status).toBe(202);
    await vi.waitFor(async () => expect(await dialog()).toBe('terminated'), { timeout: 10_000 });
    const { code } = await exited;
    expect(code, output).toBe(0);
  });
});

async function freeUdpPort(): Promise<number> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}
