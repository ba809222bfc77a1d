import { describe, expect, it } from 'vitest';
import { API_ERRORS, OAUTH_ERRORS, errorForStatus } from '../../simulator/errors.js';
import { FaultStore } from '../../simulator/index.js';

const pattern = (store: FaultStore, requests: number): string =>
  Array.from({ length: requests }, () => (store.take('signal') === undefined ? '.' : 'F')).join('');

describe('simulator fault store', () => {
  it('applies a fault without count or share to every matching request, only on its route', () => {
    const store = new FaultStore();
    store.add({ route: 'signal', kind: 'drop' });
    expect(pattern(store, 3)).toBe('FFF');
    expect(store.take('token')).toBeUndefined();
  });

  it.each([
    { share: 1, expected: 'FFFFFFFFFF' },
    { share: 0.5, expected: '.F.F.F.F.F' },
    { share: 0.25, expected: '...F...F..' },
    { share: 0.1, expected: '.........F' },
    { share: 0.3, expected: '...F..F..F' },
  ])('share $share fires deterministically: $expected', ({ share, expected }) => {
    const store = new FaultStore();
    store.add({ route: 'signal', kind: 'status', status: 500, share });
    expect(pattern(store, 10)).toBe(expected);
  });

  it('count limits the firings, then the fault is removed', () => {
    const store = new FaultStore();
    const fault = store.add({ route: 'signal', kind: 'status', status: 503, count: 2 });
    expect(fault.remaining).toBe(2);
    expect(store.take('signal')).toMatchObject({ id: fault.id, remaining: 1, applied: 1 });
    expect(store.take('signal')).toMatchObject({ remaining: 0, applied: 2 });
    expect(store.take('signal')).toBeUndefined();
    expect(store.list()).toEqual([]);
  });

  it('the first firing fault wins; later ones are consulted only when earlier ones do not fire', () => {
    const store = new FaultStore();
    const half = store.add({ route: 'signal', kind: 'status', status: 500, share: 0.5 });
    const always = store.add({ route: 'signal', kind: 'drop' });
    expect([1, 2, 3, 4].map(() => store.take('signal')?.id)).toEqual([always.id, half.id, always.id, half.id]);
  });

  it('removes one fault by id and clears all', () => {
    const store = new FaultStore();
    const first = store.add({ route: 'token', kind: 'drop' });
    store.add({ route: 'end', kind: 'drop' });
    expect(store.remove(first.id)).toBe(true);
    expect(store.remove(first.id)).toBe(false);
    expect(store.list().map((fault) => fault.route)).toEqual(['end']);
    store.clear();
    expect(store.list()).toEqual([]);
  });
});

describe('simulator error catalogue', () => {
  it('gives every code a 4xx or 5xx status', () => {
    for (const status of [...Object.values(API_ERRORS), ...Object.values(OAUTH_ERRORS)]) {
      expect(status).toBeGreaterThanOrEqual(400);
      expect(status).toBeLessThan(600);
    }
  });

  it.each([
    { shape: 'cxone', status: 404, error: 'not_found' },
    { shape: 'cxone', status: 429, error: 'too_many_requests' },
    { shape: 'cxone', status: 418, error: 'invalid_request' },
    { shape: 'cxone', status: 599, error: 'internal_error' },
    { shape: 'oauth', status: 401, error: 'invalid_client' },
    { shape: 'oauth', status: 503, error: 'temporarily_unavailable' },
    { shape: 'oauth', status: 500, error: 'server_error' },
    { shape: 'oauth', status: 429, error: 'invalid_request' },
  ] as const)('a $shape error for $status keeps the status and uses code $error', ({ shape, status, error }) => {
    const reply = errorForStatus(shape, status, 'why');
    expect(reply.status).toBe(status);
    expect(reply.body).toEqual(shape === 'oauth' ? { error, error_description: 'why' } : { error, message: 'why' });
  });
});
