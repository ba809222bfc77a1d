/**
 * Input rules of the GraphQL layer, in zod (type-graphql's own class-validator pass is off: its
 * errors echo the whole input). A failure is a BAD_USER_INPUT naming the field, never quoting it.
 */
import { z } from 'zod';
import { type HandoffQuery, type SignalRequest } from '../handoff/model.js';
import { formatPath } from '../common/format-path.js';
import { MAX_SIGNAL_PARAMS, signalParamLength } from '../common/signal-limits.js';
import { CONTACT_ID_PATTERN, EXTERNAL_ID_PATTERN, HANDOFF_STATES, type HandoffState, MAX_PAGE_SIZE } from '../common/vocabulary.js';
import { BadUserInputError } from './errors.js';

/** Limits from config that input validation applies. */
export interface InputLimits {
  readonly maxParamLength: number;
  readonly maxContextBytes: number;
  readonly maxSipInviteBytes: number;
}

/**
 * Control characters (C0, DEL, C1) are refused in params: they travel in a URL query to CXone and
 * then into a Studio script variable, where a newline or NUL is never intended.
 */
const CONTROL = /\p{Cc}/u;
const PRINTABLE_ASCII = /^[\x20-\x7E]+$/;

const contactId = z.string().regex(CONTACT_ID_PATTERN, 'must be 1..20 digits (a CXone contact id)');
const externalId = z.string().regex(EXTERNAL_ID_PATTERN, 'must be 1..128 printable ASCII characters, without leading or trailing spaces');

/**
 * Building a zod schema (and zod 4's first parse, which compiles it) costs far more than a parse,
 * so the schema is built once per limits object: the config's, in practice.
 */
const signalSchemas = new WeakMap<InputLimits, ReturnType<typeof buildSignalInputSchema>>();

function signalInputSchema(limits: InputLimits) {
  let schema = signalSchemas.get(limits);
  if (schema === undefined) {
    schema = buildSignalInputSchema(limits);
    signalSchemas.set(limits, schema);
  }
  return schema;
}

function buildSignalInputSchema(limits: InputLimits) {
  return z.object({
    contactId,
    params: z
      .array(
        z
          .string()
          .refine((p) => signalParamLength(p) <= limits.maxParamLength, `must be at most ${limits.maxParamLength} characters`)
          .refine((p) => !CONTROL.test(p), 'must not contain control characters (newline, tab, NUL...)'),
      )
      .max(MAX_SIGNAL_PARAMS, `at most ${MAX_SIGNAL_PARAMS} params (p1..p9)`)
      .nullish(),
    context: z
      .unknown()
      .optional()
      .refine(
        (c) => c === undefined || c === null || Buffer.byteLength(JSON.stringify(c), 'utf8') <= limits.maxContextBytes,
        `must be at most ${limits.maxContextBytes} bytes of JSON`,
      ),
    idempotencyKey: z
      .string()
      .min(1, 'must be 1..128 printable ASCII characters')
      .max(128, 'must be 1..128 printable ASCII characters')
      .regex(PRINTABLE_ASCII, 'must be 1..128 printable ASCII characters')
      .nullish(),
    sharedId: externalId.nullish(),
    conversationId: externalId.nullish(),
  });
}

function check<T>(schema: z.ZodType<T>, value: unknown, prefix: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = formatPath(issue?.path ?? []);
  const field = path === '' ? prefix : prefix === '' ? path : `${prefix}${path.startsWith('[') ? '' : '.'}${path}`;
  throw new BadUserInputError(`${field} ${issue?.message ?? 'is invalid'}.`, field);
}

/** Validates `signalContact(input)` into a `SignalRequest`. */
export function parseSignalInput(input: unknown, limits: InputLimits): SignalRequest {
  const data = check(signalInputSchema(limits), input, 'input');
  return {
    contactId: data.contactId,
    params: data.params ?? [],
    context: data.context ?? null,
    idempotencyKey: data.idempotencyKey ?? null,
    sharedId: data.sharedId ?? null,
    conversationId: data.conversationId ?? null,
  };
}

export function parseContactId(value: unknown, field = 'contactId'): string {
  return check(contactId, value, field);
}

const handoffsArgs = z.object({
  first: z.number().int().min(1, `must be 1..${MAX_PAGE_SIZE}`).max(MAX_PAGE_SIZE, `must be 1..${MAX_PAGE_SIZE}`),
  after: z.string().min(1, 'must be a cursor from pageInfo.endCursor').max(512, 'must be a cursor from pageInfo.endCursor').nullish(),
  state: z.enum(HANDOFF_STATES).nullish(),
  contactId: contactId.nullish(),
});

export function parseHandoffsArgs(args: { first: number; after?: string | null; state?: HandoffState | null; contactId?: string | null }): HandoffQuery {
  const data = check(handoffsArgs, args, '');
  return { first: data.first, after: data.after ?? null, state: data.state ?? null, contactId: data.contactId ?? null };
}

/** The INVITE's size is checked before parsing; the parser reports what is wrong inside it. */
export function checkSipInviteSize(text: string, limits: InputLimits): void {
  if (Buffer.byteLength(text, 'utf8') > limits.maxSipInviteBytes) {
    throw new BadUserInputError(`sipInvite must be at most ${limits.maxSipInviteBytes} bytes.`, 'sipInvite');
  }
}
