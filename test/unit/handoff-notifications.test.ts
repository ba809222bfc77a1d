/** The NOTIFY payload of a handoff change: what the writer's SQL builds is what the listener reads. */
import { describe, expect, it } from 'vitest';
import { HANDOFF_CHANGED_CHANNEL, MAX_NOTIFIED_MESSAGE, parseHandoffChange, withChangeNotification } from '../../src/store/handoff-notifications.js';

const payload = {
  tenantId: 'acme',
  id: '3f2b8c1e-8d7a-4b8e-9a51-2f6f7a0c9d11',
  contactId: '1001',
  state: 'PENDING',
  attempts: 2,
  lastError: { code: 'CXONE_UNAVAILABLE', message: 'CXone answered 503.', upstreamStatus: 503, at: '2025-03-01T10:00:01.5+00:00' },
  updatedAt: '2025-03-01T10:00:01.5+00:00',
  signaledAt: null,
};

describe('handoff change notifications', () => {
  it('reads a payload as PostgreSQL json_build_object writes it (timestamps with an offset)', () => {
    expect(parseHandoffChange(JSON.stringify(payload))).toEqual({
      id: payload.id,
      tenantId: 'acme',
      contactId: '1001',
      state: 'PENDING',
      attempts: 2,
      lastError: { code: 'CXONE_UNAVAILABLE', message: 'CXone answered 503.', upstreamStatus: 503, at: new Date('2025-03-01T10:00:01.500Z') },
      updatedAt: new Date('2025-03-01T10:00:01.500Z'),
      signaledAt: null,
    });
  });

  it.each([
    { name: 'not JSON', text: '{' },
    { name: 'an unknown state', text: JSON.stringify({ ...payload, state: 'DONE' }) },
    { name: 'no tenant', text: JSON.stringify({ ...payload, tenantId: undefined }) },
    { name: 'a bad timestamp', text: JSON.stringify({ ...payload, updatedAt: 'yesterday' }) },
  ])('ignores a payload with $name', ({ text }) => {
    expect(parseHandoffChange(text)).toBeNull();
  });

  it('wraps a write so the same statement notifies the channel, keeps params and context out, and caps the message', () => {
    const sql = withChangeNotification('UPDATE handoffs SET attempts = $2 WHERE id = $1 RETURNING *');
    expect(sql).toContain('WITH changed AS (UPDATE handoffs SET attempts = $2 WHERE id = $1 RETURNING *)');
    expect(sql).toContain(`pg_notify('${HANDOFF_CHANGED_CHANNEL}'`);
    expect(sql).toContain(`left(changed.last_error_message, ${MAX_NOTIFIED_MESSAGE})`);
    expect(sql).not.toMatch(/changed\.(params|context)/);
  });
});
