/**
 * Idempotency of `signalContact`: `(tenant, idempotencyKey)` is unique in the store; a replay with
 * the same input returns the same handoff (and sends no second signal), a replay with a different
 * input is an `IdempotencyConflictError`. "The same input" is `inputHash` below.
 */
import { createHash } from 'node:crypto';
import { type Logger } from '../common/logger.js';
import { IdempotencyConflictError } from './errors.js';
import { type SignalRequest } from './model.js';
import { type HandoffRecord } from './ports.js';

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
 * params in order, the context by value and, when given, the shared and conversation ids. The
 * idempotency key itself is not part of it (it picks the row). Versioned, so a future change of the
 * recipe cannot match old hashes by accident; a request without shared or conversation id hashes as
 * before those fields existed, so rows stored earlier still replay.
 */
export function inputHash(request: Pick<SignalRequest, 'contactId' | 'params' | 'context' | 'sharedId' | 'conversationId'>): string {
  const parts: unknown[] = ['v1', request.contactId, request.params, request.context ?? null];
  const sharedId = request.sharedId ?? null;
  const conversationId = request.conversationId ?? null;
  if (sharedId !== null || conversationId !== null) parts.push({ sharedId, conversationId });
  const canonical = canonicalJson(parts);
  return createHash('sha256').update(canonical).digest('hex');
}

/**
 * Checks a replay against the handoff already stored under its key: throws
 * `IdempotencyConflictError` when the input differs, and otherwise lets the caller answer with the
 * stored handoff.
 */
export function replayOf(stored: Pick<HandoffRecord, 'inputHash' | 'state'>, hash: string, log: Logger): void {
  if (stored.inputHash !== hash) {
    log.info({}, 'idempotency key reused with a different input');
    throw new IdempotencyConflictError();
  }
  log.debug({ state: stored.state }, 'idempotent replay');
}
