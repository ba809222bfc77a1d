import { createHash } from 'node:crypto';
import { type SignalRequest } from './handoff.js';

/**
 * JSON with object keys sorted at every depth, so two inputs that differ only in key order (which
 * JSON does not give meaning to, and jsonb does not keep) serialise the same. `undefined` members
 * are dropped, as JSON.stringify does.
 */
export function canonicalJson(value: unknown): string {
  if (value === undefined) return 'null';
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item)).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/**
 * What makes two `signalContact` requests "the same input" for idempotency: the contact id, the
 * params in order and the context by value. The idempotency key itself is not part of it (it picks
 * the row). Versioned, so a future change of the recipe cannot match old hashes by accident.
 */
export function inputHash(request: Pick<SignalRequest, 'contactId' | 'params' | 'context'>): string {
  const canonical = canonicalJson(['v1', request.contactId, request.params, request.context ?? null]);
  return createHash('sha256').update(canonical).digest('hex');
}
