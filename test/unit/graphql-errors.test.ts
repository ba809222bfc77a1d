/** The error catalogue of `src/graphql/errors.ts`, walked like fastify's `errors.test.js`. */
import { readFileSync } from 'node:fs';
import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { HandoffNotFoundError, IdempotencyConflictError, NotRetryableError, SipParseError, StoreUnavailableError } from '../../src/handoff/errors.js';
import { HANDOFF_ERROR_CODES } from '../../src/common/vocabulary.js';
import { createFormatError, ERROR_CATALOGUE, ErrorCode, toGraphQLError } from '../../src/graphql/errors.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

describe('error catalogue', () => {
  const codes = Object.values(ErrorCode);

  it('has unique codes that include every code of the architecture\'s error list', () => {
    expect(new Set(codes).size).toBe(codes.length);
    for (const code of ['BAD_USER_INPUT', 'GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED', 'UNAUTHENTICATED', 'FORBIDDEN', 'NOT_FOUND', 'IDEMPOTENCY_CONFLICT', 'QUERY_TOO_COMPLEX', 'PAYLOAD_TOO_LARGE', 'SERVICE_UNAVAILABLE', 'INTERNAL_SERVER_ERROR']) {
      expect(codes).toContain(code);
    }
  });

  it('has exactly one row per code', () => {
    expect(Object.keys(ERROR_CATALOGUE).sort()).toEqual([...codes].sort());
  });

  it.each(codes)('%s is constructible, carries its code and HTTP status, and is in the README table', (code) => {
    const row = ERROR_CATALOGUE[code];
    const error = row.example();
    expect(error).toBeInstanceOf(GraphQLError);
    expect(error.extensions.code).toBe(code);
    expect(error.message.length).toBeGreaterThan(0);
    if (row.raisedBy === 'gateway') {
      expect(row.status).toBeGreaterThanOrEqual(400);
      expect(error.extensions.http).toEqual({ status: row.status });
    }
    if (row.raisedBy === 'graphql-ws') expect(error.extensions).toEqual({ code });
    expect(readme).toMatch(new RegExp(`^\\| \`${code}\` \\| ${row.status} \\|`, 'm'));
  });

  it.each(HANDOFF_ERROR_CODES)('the handoff code %s is documented in the README', (code) => {
    expect(readme).toContain(`\`${code}\``);
  });

  it('puts the HTTP status of the classes the gateway throws in extensions.http', () => {
    expect(ERROR_CATALOGUE[ErrorCode.Unauthenticated].example().extensions.http).toEqual({ status: 401 });
    expect(ERROR_CATALOGUE[ErrorCode.Forbidden].example().extensions.http).toEqual({ status: 403 });
    expect(ERROR_CATALOGUE[ErrorCode.PayloadTooLarge].example().extensions.http).toEqual({ status: 413 });
    expect(ERROR_CATALOGUE[ErrorCode.ServiceUnavailable].example().extensions.http).toEqual({ status: 503 });
  });
});

describe('toGraphQLError', () => {
  it.each([
    [new IdempotencyConflictError(), 'IDEMPOTENCY_CONFLICT', undefined],
    [new HandoffNotFoundError(), 'NOT_FOUND', undefined],
    [new NotRetryableError('it was SIGNALED'), 'BAD_USER_INPUT', 'id'],
    [new StoreUnavailableError(), 'SERVICE_UNAVAILABLE', undefined],
    [new SipParseError('no Call-ID header', 'Call-ID'), 'BAD_USER_INPUT', 'sipInvite'],
  ])('translates %s', (domain, code, field) => {
    const error = toGraphQLError(domain) as GraphQLError;
    expect(error.extensions.code).toBe(code);
    expect(error.extensions.field).toBe(field);
  });

  it('leaves unknown errors for formatError to mask', () => {
    const error = new Error('boom');
    expect(toGraphQLError(error)).toBe(error);
  });
});

describe('formatError', () => {
  const logged: Record<string, unknown>[] = [];
  const format = createFormatError({ error: (details) => logged.push(details) });

  it('lets known codes through unchanged', () => {
    const formatted = { message: 'No handoff with this id.', extensions: { code: 'NOT_FOUND' } };
    expect(format(formatted, new GraphQLError(formatted.message))).toBe(formatted);
  });

  it('masks anything else with a correlation id that is also logged, and no stack trace', () => {
    const original = new Error('connection string postgres://u:pw@db failed');
    const out = format({ message: original.message, path: ['handoff'], extensions: { code: 'INTERNAL_SERVER_ERROR', stacktrace: ['at x'] } }, original);
    const correlationId = out.extensions?.correlationId;
    expect(out).toEqual({
      message: `Internal server error (correlation id ${String(correlationId)}).`,
      path: ['handoff'],
      extensions: { code: 'INTERNAL_SERVER_ERROR', correlationId },
    });
    expect(logged.at(-1)).toMatchObject({ err: original, correlationId });
  });

  it('masks an error with a code the catalogue does not know', () => {
    const out = format({ message: 'secret detail', extensions: { code: 'SOMETHING_ELSE' } }, new Error('secret detail'));
    expect(out.extensions?.code).toBe('INTERNAL_SERVER_ERROR');
    expect(out.message).not.toContain('secret');
  });

  it('drops the value graphql-js quotes in a variable-coercion error', () => {
    const out = format(
      { message: 'Variable "$input" got invalid value { contactId: "hunter2" } at "input.contactId"; String cannot represent a non string value: 5', extensions: { code: 'BAD_USER_INPUT' } },
      new GraphQLError('x'),
    );
    expect(out.message).toBe('Variable "$input" has an invalid value at "input.contactId" (wrong type, missing or unknown field).');
    expect(out.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'input.contactId' });
  });
});

describe('formatError: client text is not echoed at length', () => {
  const format = createFormatError({ error: () => undefined });
  it.each([
    [ErrorCode.OperationResolutionFailure, (s: string) => `Unknown operation named "${s}".`],
    [ErrorCode.GraphqlValidationFailed, (s: string) => `Value "${s}" does not exist in "HandoffState" enum.`],
  ])('cuts long quoted text in a %s message to 40 characters and an ellipsis', (code, message) => {
    const long = `Op${'x'.repeat(50_000)}`;
    const out = format({ message: message(long), extensions: { code } }, new GraphQLError(message(long)));
    expect(out.message).toBe(message(`${long.slice(0, 40)}…`));
    expect(out.extensions?.code).toBe(code);
    // Short names, and the schema's own quoted names, are kept.
    expect(format({ message: message('PENDNG'), extensions: { code } }, undefined).message).toBe(message('PENDNG'));
  });
});
