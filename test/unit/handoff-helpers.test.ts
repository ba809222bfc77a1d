/** The small pure parts of the handoff domain: input hash, page cursors, CXone error mapping. */
import { createHash, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor } from '../../src/handoff/cursor.js';
import { InvalidCursorError } from '../../src/handoff/errors.js';
import { canonicalJson, inputHash } from '../../src/handoff/idempotency.js';
import { failureError, progressError, readNiceFailure } from '../../src/handoff/signal-outcome.js';
import { RETRYABLE_HANDOFF_ERROR_CODES } from '../../src/common/vocabulary.js';

describe('inputHash', () => {
  const base = { contactId: '1', params: ['a', 'b'], context: { x: 1, y: { z: [1, 2] } } };

  it.each([
    ['key order in context', { ...base, context: { y: { z: [1, 2] }, x: 1 } }],
    ['undefined members in context', { ...base, context: { x: 1, y: { z: [1, 2] }, w: undefined } }],
  ])('ignores %s', (_name, other) => {
    expect(inputHash(other)).toBe(inputHash(base));
  });

  it.each([
    ['another contact', { ...base, contactId: '2' }],
    ['params in another order', { ...base, params: ['b', 'a'] }],
    ['one param less', { ...base, params: ['a'] }],
    ['params that join to the same text', { ...base, params: ['ab', ''] }],
    ['a context value', { ...base, context: { x: 2, y: { z: [1, 2] } } }],
    ['array order in context', { ...base, context: { x: 1, y: { z: [2, 1] } } }],
    ['a number as a string', { ...base, context: { x: '1', y: { z: [1, 2] } } }],
    ['no context', { ...base, context: null }],
    ['a shared id', { ...base, sharedId: 'crm-1' }],
    ['a conversation id', { ...base, conversationId: 'conv-1' }],
  ])('tells apart %s', (_name, other) => {
    expect(inputHash(other)).not.toBe(inputHash(base));
  });

  it('tells a shared id from the same value as conversation id', () => {
    expect(inputHash({ ...base, sharedId: 'x' })).not.toBe(inputHash({ ...base, conversationId: 'x' }));
  });

  it('hashes a request without shared or conversation id as before those fields existed (stored rows still replay)', () => {
    const before = createHash('sha256').update(canonicalJson(['v1', base.contactId, base.params, base.context])).digest('hex');
    expect(inputHash(base)).toBe(before);
    expect(inputHash({ ...base, sharedId: null, conversationId: null })).toBe(before);
  });

  it('treats a missing and a null context alike', () => {
    expect(inputHash({ ...base, context: undefined })).toBe(inputHash({ ...base, context: null }));
  });

  it('serialises canonically', () => {
    expect(canonicalJson({ b: [1, { d: 1, c: null }], a: 'x' })).toBe('{"a":"x","b":[1,{"c":null,"d":1}]}');
  });
});

describe('page cursors', () => {
  it('round-trip a keyset position', () => {
    const key = { createdAt: new Date('2026-03-01T10:20:30.456Z'), id: randomUUID() };
    const cursor = encodeCursor(key);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(cursor)).toEqual(key);
  });

  it.each([
    ['empty', ''],
    ['not base64url', 'a+b/c='],
    ['another version', Buffer.from(`v2:1:${randomUUID()}`).toString('base64url')],
    ['a non-numeric time', Buffer.from(`v1:x:${randomUUID()}`).toString('base64url')],
    ['an id that is no uuid', Buffer.from("v1:1:1' OR 1=1").toString('base64url')],
    ['too long', 'A'.repeat(201)],
  ])('refuse a cursor that is %s', (_name, cursor) => {
    expect(() => decodeCursor(cursor)).toThrow(InvalidCursorError);
  });
});

describe('CXone error mapping', () => {
  const at = new Date(0);

  it('reads the fields of a CXone client error structurally', () => {
    const error = Object.assign(new Error('CXone answered 503'), { code: 'CXONE_UNAVAILABLE', retryable: true, upstreamStatus: 503, attempts: 3 });
    expect(readNiceFailure(error)).toEqual({ code: 'CXONE_UNAVAILABLE', retryable: true, upstreamStatus: 503, attempts: 3, retryAfterMs: null, message: 'CXone answered 503' });
  });

  it.each([
    ['a plain Error', new Error('secret detail')],
    ['an unknown code', Object.assign(new Error('secret detail'), { code: 'ECONNRESET', retryable: true })],
    ['a string', 'secret detail'],
    ['null', null],
  ])('treats %s as an unexpected CXONE_UNAVAILABLE without its message', (_name, error) => {
    const failure = readNiceFailure(error);
    expect(failure).toMatchObject({ code: 'CXONE_UNAVAILABLE', retryable: false, upstreamStatus: null, attempts: null });
    expect(failure.message).not.toContain('secret');
  });

  it('reads the wait the client asks for (an open breaker says how long), ignoring a malformed one', () => {
    expect(readNiceFailure({ code: 'CXONE_CIRCUIT_OPEN', retryable: true, retryAfterMs: 7_000, message: 'm' }).retryAfterMs).toBe(7_000);
    expect(readNiceFailure({ code: 'CXONE_CIRCUIT_OPEN', retryable: true, retryAfterMs: -1, message: 'm' }).retryAfterMs).toBeNull();
  });

  it('ignores malformed status and attempts', () => {
    const error = { code: 'CXONE_THROTTLED', retryable: true, upstreamStatus: '429', attempts: -1, message: '' };
    expect(readNiceFailure(error)).toMatchObject({ upstreamStatus: null, attempts: null, message: 'CXone signal failed (CXONE_THROTTLED).' });
  });

  it.each([
    ['final 404', { code: 'CXONE_CONTACT_NOT_FOUND', retryable: false, upstreamStatus: 404 }, 'CXONE_CONTACT_NOT_FOUND'],
    ['final unavailable', { code: 'CXONE_UNAVAILABLE', retryable: false, upstreamStatus: null }, 'CXONE_UNAVAILABLE'],
    ['retryable 503 at the end of the budget', { code: 'CXONE_UNAVAILABLE', retryable: true, upstreamStatus: 503 }, 'RETRIES_EXHAUSTED'],
    ['retryable 429 at the end of the budget', { code: 'CXONE_THROTTLED', retryable: true, upstreamStatus: 429 }, 'RETRIES_EXHAUSTED'],
    ['a timeout at the end of the budget', { code: 'CXONE_TIMEOUT', retryable: true, upstreamStatus: null }, 'CXONE_TIMEOUT'],
  ] as const)('maps a %s to %s on FAILED', (_name, fields, code) => {
    const error = failureError({ ...fields, attempts: 2, message: 'why' }, at);
    expect(error).toMatchObject({ code, upstreamStatus: fields.upstreamStatus, at });
  });

  it('keeps the transient cause while retrying', () => {
    expect(progressError({ code: 'CXONE_THROTTLED', retryable: true, upstreamStatus: 429, message: 'slow down' }, at)).toEqual({
      code: 'CXONE_THROTTLED',
      message: 'slow down',
      upstreamStatus: 429,
      at,
    });
  });

  it('lets retryHandoff re-run only transient causes', () => {
    expect([...RETRYABLE_HANDOFF_ERROR_CODES].sort()).toEqual(['CXONE_CIRCUIT_OPEN', 'CXONE_THROTTLED', 'CXONE_TIMEOUT', 'CXONE_UNAVAILABLE', 'RETRIES_EXHAUSTED']);
  });
});
