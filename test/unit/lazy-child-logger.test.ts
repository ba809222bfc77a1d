/** Request loggers made on first use (src/http/lazy-child-logger.ts): the same lines, no child for a silent request. */
import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { LazyChildLogger, lazyChildLoggerFactory } from '../../src/http/lazy-child-logger.js';

function recording(level = 'info'): { log: pino.Logger; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString('utf8').trim());
      done();
    },
  });
  return { log: pino({ level, timestamp: false, base: null }, stream), lines };
}

const settled = () => new Promise((resolve) => setImmediate(resolve));

describe('LazyChildLogger', () => {
  it('writes exactly the lines an eager pino child writes, grandchildren included', async () => {
    const eager = recording();
    eager.log.child({ requestId: 'r1' }).child({ tenantId: 't1' }).info({ a: 1 }, 'hello');
    eager.log.child({ requestId: 'r1' }).warn('plain');
    const lazy = recording();
    const request = lazyChildLoggerFactory(lazy.log, { requestId: 'r1' }, {});
    request.child({ tenantId: 't1' }).info({ a: 1 }, 'hello');
    request.warn('plain');
    await settled();
    expect(lazy.lines).toEqual(eager.lines);
    expect(lazy.lines[0]).toContain('"requestId":"r1","tenantId":"t1"');
  });

  it('makes no child for a request that logs nothing at an enabled level', () => {
    const { log } = recording('info');
    const child = vi.spyOn(log, 'child');
    const request = new LazyChildLogger(log, { requestId: 'r2' });
    const tenant = request.child({ tenantId: 't1' });
    request.debug({ x: 1 }, 'not at info');
    tenant.trace('nor this');
    expect(request.level).toBe('info');
    expect(child).not.toHaveBeenCalled();
    tenant.error('this one');
    // The request's child, then the tenant's (pino children inherit the spied method).
    expect(child).toHaveBeenCalledTimes(2);
    expect(request.materialised).toBe(true);
  });

  it("follows a route's own level", async () => {
    const { log, lines } = recording('info');
    const request = lazyChildLoggerFactory(log, { requestId: 'r3' }, { level: 'debug' });
    expect(request.level).toBe('debug');
    request.debug('shown');
    await settled();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('"msg":"shown"');
  });
});
