/** The gateway's logger: JSON lines by default, pino-pretty's lines on request, redacted either way. */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/common/logger.js';

function captured(pretty: boolean): { lines: string[]; log: ReturnType<typeof createLogger> } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  const log = createLogger({ level: 'info', pretty, destination });
  return { lines, log };
}

describe('createLogger', () => {
  it('writes one JSON object per line with an ISO time and the service name, credentials redacted', () => {
    const { lines, log } = captured(false);
    log.info({ tenantId: 'demo', headers: { authorization: 'Bearer sk-live' }, token: 'tok-1' }, 'signalContact');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? '')).toMatchObject({
      level: 30,
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      service: 'cxone-gateway',
      tenantId: 'demo',
      headers: { authorization: '[redacted]' },
      token: '[redacted]',
      msg: 'signalContact',
    });
  });

  it('names another service when asked (the simulator), with the same ISO times', () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString('utf8'));
        done();
      },
    });
    createLogger({ level: 'info', destination, service: 'cxone-sim' }).info({}, 'signal received');
    expect(JSON.parse(lines[0] ?? '')).toMatchObject({ service: 'cxone-sim', time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
  });

  it("redacts the Handoff API's x-api-key header, in a request object and on its own", () => {
    const { lines, log } = captured(false);
    log.info({ req: { headers: { 'x-api-key': 'sk-handoff' } }, headers: { 'x-api-key': 'sk-handoff' } }, 'handoff api');
    expect(lines.join('')).not.toContain('sk-handoff');
    expect(JSON.parse(lines[0] ?? '')).toMatchObject({ req: { headers: { 'x-api-key': '[redacted]' } }, headers: { 'x-api-key': '[redacted]' } });
  });

  it('writes human-readable lines through pino-pretty when asked, still redacted and without colour codes', () => {
    const { lines, log } = captured(true);
    log.info({ tenantId: 'demo', headers: { authorization: 'Bearer sk-live' } }, 'signalContact');
    const text = lines.join('');
    expect(text).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: signalContact\n/);
    expect(text).toContain('tenantId: "demo"');
    expect(text).toContain('"[redacted]"');
    expect(text).not.toContain('sk-live');
    expect(text).not.toContain('\u001b[');
    expect(() => JSON.parse(lines[0] ?? '')).toThrow();
  });
});
