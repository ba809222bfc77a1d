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
  /** Deepest nesting of objects and arrays in `context` (`{}` is 1). */
  readonly maxContextDepth: number;
  readonly maxSipInviteBytes: number;
}

/**
 * Control characters (C0, DEL, C1) are refused in params: they travel in a URL query to CXone and
 * then into a Studio script variable, where a newline or NUL is never intended.
 */
const CONTROL = /\p{Cc}/u;
/**
 * Also refused in params: line and paragraph separators (U+2028, U+2029: newlines by another name,
 * and line terminators in JavaScript-like script languages) and the bidi controls that reorder the
 * text after them until popped (embeddings and overrides U+202A..U+202E, isolates U+2066..U+2069;
 * the "Trojan Source" characters), which make a value display differently from what a Studio script
 * compares. Every other format character (Cf) is accepted, since real text needs them: ZWJ in emoji
 * sequences and Indic scripts, ZWNJ in Persian, the LRM/RLM marks in mixed-direction names, the soft
 * hyphen.
 */
const SEPARATOR_OR_BIDI_CONTROL = /[\p{Zl}\p{Zp}\u202A-\u202E\u2066-\u2069]/u;
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
          .refine((p) => p.isWellFormed(), { message: 'must be well-formed Unicode (a lone UTF-16 surrogate has no UTF-8 form)', abort: true })
          .refine((p) => signalParamLength(p) <= limits.maxParamLength, `must be at most ${limits.maxParamLength} characters`)
          .refine((p) => !CONTROL.test(p), 'must not contain control characters (newline, tab, NUL...)')
          .refine((p) => !SEPARATOR_OR_BIDI_CONTROL.test(p), 'must not contain line separators or bidi embedding/override/isolate controls (U+2028, U+2029, U+202A..U+202E, U+2066..U+2069)'),
      )
      .max(MAX_SIGNAL_PARAMS, `at most ${MAX_SIGNAL_PARAMS} params (p1..p9)`)
      .nullish(),
    context: z
      .unknown()
      .optional()
      .superRefine((c, ctx) => {
        if (c === undefined || c === null) return;
        // The walk first: it bounds the depth that JSON.stringify (and later canonicalJson and jsonb) recurse into.
        const problem = contextProblem(c, limits.maxContextDepth);
        if (problem !== null) ctx.addIssue({ code: 'custom', message: problem });
        else if (Buffer.byteLength(JSON.stringify(c), 'utf8') > limits.maxContextBytes) {
          ctx.addIssue({ code: 'custom', message: `must be at most ${limits.maxContextBytes} bytes of JSON` });
        }
      }),
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

/**
 * What the store cannot keep exactly, or what would overflow a recursive serialiser, in a `context`
 * value; null when it is fine. Iterative (an explicit stack), so a hostile depth cannot overflow the
 * walk itself; it stops at the first problem and never names the offending value or key.
 * - nesting of objects and arrays deeper than `maxDepth`;
 * - a non-finite number (the JSON scalar turns `1e400` into Infinity, which JSON would store as null);
 * - a NUL or a lone UTF-16 surrogate in a string or a key (jsonb refuses both; the surrogate has no
 *   UTF-8 form).
 */
export function contextProblem(value: unknown, maxDepth: number): string | null {
  const stack: { value: unknown; depth: number }[] = [{ value, depth: 0 }];
  const badString = (text: string) => text.includes('\0') || !text.isWellFormed();
  const STRING_PROBLEM = 'must not contain a NUL character or a lone UTF-16 surrogate in any string or key';
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const v = item.value;
    if (typeof v === 'string') {
      if (badString(v)) return STRING_PROBLEM;
    } else if (typeof v === 'number') {
      if (!Number.isFinite(v)) return 'must not contain a non-finite number (such as 1e400, which JSON cannot hold)';
    } else if (v !== null && typeof v === 'object') {
      const depth = item.depth + 1;
      if (depth > maxDepth) return `must not nest objects and arrays more than ${maxDepth} levels deep`;
      if (Array.isArray(v)) {
        for (const child of v) stack.push({ value: child, depth });
      } else {
        for (const [key, child] of Object.entries(v)) {
          if (badString(key)) return STRING_PROBLEM;
          stack.push({ value: child, depth });
        }
      }
    } else if (v !== null && typeof v !== 'boolean' && v !== undefined) {
      return 'must be JSON';
    }
  }
  return null;
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
