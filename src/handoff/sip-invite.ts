/**
 * Parses the initial SIP INVITE a voice agent received from CXone (RFC 3261 §7) down to what the
 * gateway keeps: the pseudo number dialled, the caller, the Call-ID, the CXone contact id (from the
 * first present of the tenant's contact-id headers, by default `X-InContact-ContactId` then
 * `X-Contact-ID`), the master contact id (`X-InContact-MasterId`) and the bot context CXone sends as
 * JSON in `X-CXone`, `X-CXone-Custom` and `X-CXone-Extended` (docs/architecture.md, "CXone wire contract",
 * sources C and F).
 *
 * Accepted: header names in any case and in compact form, folded (continued) header lines, CRLF or
 * bare LF line ends, blank lines before the request line. Rejected with a `SipParseError` naming the
 * field: anything that is not an INVITE, missing or duplicated mandatory headers, a missing or
 * malformed contact id, an oversized message, NUL or bare CR in the header section, and a pseudo
 * number that is not E.164. Messages never echo the input.
 *
 * The master id and the context headers never refuse the INVITE: the contact id is what the call
 * needs. A bad one (not digits, repeated, not JSON, too large or deep, control characters, text
 * PostgreSQL's jsonb cannot hold) is left null and explained in `warnings`, one line per header.
 */
import { SipParseError } from './errors.js';
import { type CxoneContext, type ParsedInvite } from './model.js';

/** Options of `parseInvite`. */
export interface ParseInviteOptions {
  /**
   * Headers that may carry the contact id to signal (the tenant's `contactIdHeaders`), in priority
   * order: the first one present is used. Matched case-insensitively.
   */
  readonly contactIdHeaders: readonly string[];
  /** Largest message accepted, in UTF-8 bytes (default 16 KiB). */
  readonly maxBytes?: number;
  /** Longest contact id accepted, in digits (default 20). */
  readonly maxContactIdDigits?: number;
  /** Largest JSON value of one context header, in UTF-8 bytes (default 8 KiB). */
  readonly maxContextBytes?: number;
  /** Deepest nesting of arrays and objects in one context header (default 32). */
  readonly maxContextDepth?: number;
}

export const DEFAULT_MAX_INVITE_BYTES = 16 * 1024;
export const DEFAULT_MAX_CONTEXT_BYTES = 8 * 1024;
export const DEFAULT_MAX_CONTEXT_DEPTH = 32;

/** The header CXone puts the master contact id in (a spawned contact's own id is in `X-InContact-ContactId`). */
export const MASTER_ID_HEADER = 'X-InContact-MasterId';

/** The JSON headers CXone passes bot context in, by the key they get in `CxoneContext`. */
export const CONTEXT_HEADER_NAMES: Readonly<Record<keyof CxoneContext, string>> = Object.freeze({
  standard: 'X-CXone',
  custom: 'X-CXone-Custom',
  extended: 'X-CXone-Extended',
});

/** Headers whose problems become warnings instead of refusing the INVITE. */
const SOFT_HEADERS = new Set([MASTER_ID_HEADER, ...Object.values(CONTEXT_HEADER_NAMES)].map((name) => name.toLowerCase()));

/** RFC 3261 §7.3.3 compact forms, plus the common ones registered since (RFC 3265, 3515, 3892, 4028). */
const COMPACT_FORMS: Readonly<Record<string, string>> = {
  i: 'call-id',
  m: 'contact',
  e: 'content-encoding',
  l: 'content-length',
  c: 'content-type',
  f: 'from',
  s: 'subject',
  k: 'supported',
  t: 'to',
  v: 'via',
  o: 'event',
  r: 'refer-to',
  b: 'referred-by',
  u: 'allow-events',
  x: 'session-expires',
};

/** Headers an INVITE must carry (RFC 3261 §8.1.1), with the name used in messages. */
const MANDATORY: readonly (readonly [string, string])[] = [
  ['via', 'Via'],
  ['to', 'To'],
  ['from', 'From'],
  ['call-id', 'Call-ID'],
  ['cseq', 'CSeq'],
  ['max-forwards', 'Max-Forwards'],
];

/** Headers that may appear only once. */
const SINGLETONS = new Set(['to', 'from', 'call-id', 'cseq', 'max-forwards', 'content-length']);

const SIP_METHODS = new Set(['ACK', 'BYE', 'CANCEL', 'OPTIONS', 'REGISTER', 'PRACK', 'SUBSCRIBE', 'NOTIFY', 'PUBLISH', 'INFO', 'REFER', 'MESSAGE', 'UPDATE']);

// RFC 3261 §25.1 token characters.
const TOKEN = /^[A-Za-z0-9\-.!%*_+`'~]+$/;
const E164 = /^\+[1-9]\d{1,14}$/;
/** Controls other than HTAB (CR and LF were consumed by line splitting and unfolding). */
function hasControl(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if ((code < 0x20 && code !== 0x09) || code === 0x7f) return true;
  }
  return false;
}

/** Parses a SIP INVITE; throws `SipParseError` with the offending field on anything else. */
export function parseInvite(text: string, options: ParseInviteOptions): ParsedInvite {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_INVITE_BYTES;
  const maxDigits = options.maxContactIdDigits ?? 20;
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > maxBytes) {
    throw new SipParseError(`The SIP message is ${bytes} bytes; at most ${maxBytes} are accepted.`, 'message');
  }

  const head = headerSection(text);
  const lines = head.split(/\r?\n/);
  // RFC 3261 §7.5: implementations should ignore blank lines before the start line.
  while (lines[0] === '') lines.shift();
  const requestLine = lines.shift();
  if (requestLine === undefined || requestLine === '') throw new SipParseError('The SIP message is empty.', 'request-line');
  const requestUri = parseRequestLine(requestLine);
  const configured = new Map(options.contactIdHeaders.map((name) => [name.toLowerCase(), name]));
  const headers = parseHeaders(lines, (key) => configured.get(key) ?? displayName(key));

  for (const [key, name] of MANDATORY) {
    if (!headers.has(key)) throw new SipParseError(`The INVITE has no ${name} header.`, name);
    if (single(headers, key) === '') throw new SipParseError(`The ${name} header is empty.`, name);
  }
  for (const key of SINGLETONS) {
    if ((headers.get(key)?.length ?? 0) > 1) throw new SipParseError(`The INVITE has more than one ${displayName(key)} header.`, displayName(key));
  }

  const callId = single(headers, 'call-id');
  if (!/^[\x21-\x7E]+$/.test(callId)) throw new SipParseError('The Call-ID header must be one word of visible characters.', 'Call-ID');
  const cseq = /^(\d{1,10})\s+([A-Za-z]+)$/.exec(single(headers, 'cseq'));
  if (cseq === null) throw new SipParseError('The CSeq header must be a sequence number and a method.', 'CSeq');
  if (cseq[2] !== 'INVITE') throw new SipParseError('The CSeq method must be INVITE.', 'CSeq');
  if (!/^\d{1,3}$/.test(single(headers, 'max-forwards'))) throw new SipParseError('The Max-Forwards header must be a number.', 'Max-Forwards');
  const contentLength = headers.get('content-length')?.[0];
  if (contentLength !== undefined && !/^\d{1,10}$/.test(contentLength)) {
    throw new SipParseError('The Content-Length header must be a number.', 'Content-Length');
  }

  const toUri = addressUri(single(headers, 'to'), 'To');
  const fromUri = addressUri(single(headers, 'from'), 'From');
  const pseudoNumber = e164Of(requestUri) ?? e164Of(toUri);
  if (pseudoNumber === null) {
    throw new SipParseError('Neither the Request-URI nor the To header carries an E.164 number (e.g. sip:+15550100001@host).', 'Request-URI');
  }

  const contactId = contactIdOf(headers, options.contactIdHeaders, maxDigits);
  const warnings: string[] = [];
  const masterContactId = masterIdOf(headers.get(MASTER_ID_HEADER.toLowerCase()), maxDigits, warnings);
  const limits = { maxBytes: options.maxContextBytes ?? DEFAULT_MAX_CONTEXT_BYTES, maxDepth: options.maxContextDepth ?? DEFAULT_MAX_CONTEXT_DEPTH };
  const contextOfKey = (key: keyof CxoneContext): unknown => {
    const name = CONTEXT_HEADER_NAMES[key];
    return contextOf(headers.get(name.toLowerCase()), name, limits, warnings);
  };
  const cxoneContext: CxoneContext = { standard: contextOfKey('standard'), custom: contextOfKey('custom'), extended: contextOfKey('extended') };

  return { requestUri, pseudoNumber, from: callerOf(fromUri), callId, contactId, masterContactId, cxoneContext, warnings };
}

/** The contact id from the first of `names` the INVITE carries; refuses a missing, repeated or malformed one. */
function contactIdOf(headers: ReadonlyMap<string, readonly string[]>, names: readonly string[], maxDigits: number): string {
  for (const name of names) {
    const values = headers.get(name.toLowerCase());
    if (values === undefined) continue;
    if (values.length > 1) throw new SipParseError(`The INVITE has more than one ${name} header.`, name);
    const contactId = values[0] ?? '';
    if (!new RegExp(`^\\d{1,${maxDigits}}$`).test(contactId)) {
      throw new SipParseError(`The ${name} header must hold the contact id as 1 to ${maxDigits} digits.`, name);
    }
    return contactId;
  }
  const first = names[0] ?? 'contact-id';
  const listed = names.length <= 1 ? `${first} header` : `${names.slice(0, -1).join(', ')} or ${names.at(-1) ?? ''} header`;
  throw new SipParseError(`The INVITE has no ${listed} with the CXone contact id.`, first);
}

function masterIdOf(values: readonly string[] | undefined, maxDigits: number, warnings: string[]): string | null {
  if (values === undefined) return null;
  if (values.length > 1) {
    warnings.push(`${MASTER_ID_HEADER}: the INVITE has more than one; the master contact id is left null.`);
    return null;
  }
  const value = values[0] ?? '';
  if (!new RegExp(`^\\d{1,${maxDigits}}$`).test(value)) {
    warnings.push(`${MASTER_ID_HEADER}: not a contact id (1 to ${maxDigits} digits); the master contact id is left null.`);
    return null;
  }
  return value;
}

/**
 * The JSON value of one context header, or null with a warning naming the header. An empty header
 * counts as absent. Size and depth are checked on the text, before `JSON.parse` runs.
 */
function contextOf(
  values: readonly string[] | undefined,
  name: string,
  limits: { readonly maxBytes: number; readonly maxDepth: number },
  warnings: string[],
): unknown {
  if (values === undefined) return null;
  const problem = (why: string): null => {
    warnings.push(`${name}: ${why}; its context is left null.`);
    return null;
  };
  if (values.length > 1) return problem('the INVITE has more than one');
  const text = values[0] ?? '';
  if (text === '') return null;
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > limits.maxBytes) return problem(`${bytes} bytes of JSON, more than the ${limits.maxBytes} accepted`);
  if (text.includes('\0') || text.includes('\r') || hasControl(text)) return problem('contains a control character');
  const depth = jsonDepth(text);
  if (depth > limits.maxDepth) return problem(`nested more than ${limits.maxDepth} levels deep`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // JSON.parse's message quotes the input; this one does not.
    return problem('not valid JSON');
  }
  if (!storable(value)) return problem('holds a NUL character or a lone surrogate, which cannot be stored');
  return value;
}

/** Deepest nesting of `[` and `{` outside JSON strings (0 for a scalar); a linear scan, no recursion. */
function jsonDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i += 1;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '[' || c === '{') deepest = Math.max(deepest, ++depth);
    else if (c === ']' || c === '}') depth -= 1;
  }
  return deepest;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Whether every string (keys too) fits a jsonb column: no NUL, no lone surrogate. Depth is already bounded. */
function storable(value: unknown): boolean {
  if (typeof value === 'string') return !value.includes('\0') && !LONE_SURROGATE.test(value);
  if (Array.isArray(value)) return value.every(storable);
  if (value !== null && typeof value === 'object') return Object.entries(value).every(([key, child]) => storable(key) && storable(child));
  return true;
}

/** Everything before the first empty line (the body, if any, is not inspected). */
function headerSection(text: string): string {
  // Skip leading blank lines first, so an empty line before the request line does not end the head.
  const start = /^(?:\r?\n)*/.exec(text)?.[0].length ?? 0;
  const end = /\r?\n\r?\n/.exec(text.slice(start));
  return end === null ? text.slice(start) : text.slice(start, start + end.index);
}

function parseRequestLine(line: string): string {
  checkCharacters(line, 'request-line');
  const parts = line.split(' ');
  if (parts.length !== 3 || parts.some((p) => p === '')) {
    if (/^SIP\/2\.0\s/i.test(line)) throw new SipParseError('This is a SIP response, not an INVITE request.', 'request-line');
    throw new SipParseError('The request line must be "INVITE <Request-URI> SIP/2.0".', 'request-line');
  }
  const [method, uri, version] = parts as [string, string, string];
  if (method !== 'INVITE') {
    if (/^SIP\/2\.0$/i.test(method)) throw new SipParseError('This is a SIP response, not an INVITE request.', 'request-line');
    // Name the method only when it is a known one, so the error never repeats arbitrary input.
    const shown = SIP_METHODS.has(method) ? ` (got ${method})` : '';
    throw new SipParseError(`Only INVITE requests are accepted${shown}.`, 'method');
  }
  if (version.toUpperCase() !== 'SIP/2.0') throw new SipParseError('The SIP version must be SIP/2.0.', 'request-line');
  if (!/^(sips?|tel):\S+$/i.test(uri)) throw new SipParseError('The Request-URI must be a sip:, sips: or tel: URI.', 'Request-URI');
  return uri;
}

/** Header lines → lower-cased full names → values in order. Unfolds continuation lines first. */
function parseHeaders(lines: readonly string[], nameOf: (key: string) => string): Map<string, string[]> {
  const unfolded: { line: string; number: number }[] = [];
  lines.forEach((line, i) => {
    const number = i + 2; // 1-based, after the request line
    if (/^[ \t]/.test(line)) {
      const previous = unfolded.at(-1);
      if (previous === undefined) throw new SipParseError('A continuation line comes before any header.', `line ${number}`);
      previous.line = `${previous.line.trimEnd()} ${line.trim()}`;
    } else {
      unfolded.push({ line, number });
    }
  });

  const headers = new Map<string, string[]>();
  for (const { line, number } of unfolded) {
    const colon = line.indexOf(':');
    const rawName = colon < 0 ? '' : line.slice(0, colon).trimEnd();
    if (!TOKEN.test(rawName)) throw new SipParseError(`Line ${number} is not a "Name: value" header.`, `line ${number}`);
    const key = COMPACT_FORMS[rawName.toLowerCase()] ?? rawName.toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (!SOFT_HEADERS.has(key)) checkCharacters(value, nameOf(key));
    const values = headers.get(key);
    if (values === undefined) headers.set(key, [value]);
    else values.push(value);
  }
  return headers;
}

function checkCharacters(value: string, field: string): void {
  if (value.includes('\0')) throw new SipParseError(`The ${field} contains a NUL character.`, field);
  if (value.includes('\r')) throw new SipParseError(`The ${field} contains a bare CR (line ends must be CRLF or LF).`, field);
  if (hasControl(value)) throw new SipParseError(`The ${field} contains a control character.`, field);
}

function single(headers: ReadonlyMap<string, readonly string[]>, key: string): string {
  return headers.get(key)?.[0] ?? '';
}

/**
 * The URI of a `From` or `To` value (RFC 3261 §20.10, §20.20, §25.1): a name-addr
 * (`[display-name] <URI>`) or an addr-spec (`URI`), then `;parameters`.
 *
 * In a name-addr only a `<` outside the display name opens the URI: a quoted-string display name
 * (with quoted-pairs such as `\"` and `\\`) and parenthesised comments (nested, with quoted-pairs)
 * are skipped, so `"<sip:+1@x>" <sip:+2@y>` is `sip:+2@y`. After the `>` only parameters may
 * follow. A value without any `<` is an addr-spec, whose parameters start at the first `;`.
 */
export function addressUri(value: string, field: string): string {
  if (!value.includes('<')) {
    if (value.startsWith('"')) throw new SipParseError(`The ${field} header has a display name but no <URI>.`, field);
    // Without angle brackets, parameters after ";" belong to the header, not the URI (RFC 3261 §20).
    const uri = (value.split(';')[0] ?? '').trim();
    if (uri === '' || /[\s"<>]/.test(uri)) throw new SipParseError(`The ${field} header has no URI.`, field);
    return uri;
  }
  let i = 0;
  while (i < value.length) {
    const c = value[i];
    if (c === '"') i = skipQuoted(value, i, field);
    else if (c === '(') i = skipComment(value, i, field);
    else if (c === '<') break;
    else i += 1;
  }
  if (i >= value.length) throw new SipParseError(`The ${field} header has a display name but no <URI>.`, field);
  const close = value.indexOf('>', i + 1);
  if (close < 0) throw new SipParseError(`The ${field} header has "<" without ">".`, field);
  const uri = value.slice(i + 1, close).trim();
  if (uri === '') throw new SipParseError(`The ${field} header has an empty URI.`, field);
  if (!/^\s*(?:;|$)/.test(value.slice(close + 1))) {
    throw new SipParseError(`The ${field} header has text after its <URI> that is not a ;parameter.`, field);
  }
  return uri;
}

/** Index just past the quoted-string that starts at `start` (RFC 3261 §25.1: qdtext and quoted-pairs). */
function skipQuoted(value: string, start: number, field: string): number {
  for (let i = start + 1; i < value.length; i++) {
    if (value[i] === '\\') i += 1;
    else if (value[i] === '"') return i + 1;
  }
  throw new SipParseError(`The ${field} header has an unterminated quoted display name.`, field);
}

/** Index just past the comment that starts at `start` (RFC 3261 §25.1: nested, with quoted-pairs). */
function skipComment(value: string, start: number, field: string): number {
  let depth = 0;
  for (let i = start; i < value.length; i++) {
    const c = value[i];
    if (c === '\\') i += 1;
    else if (c === '(') depth += 1;
    else if (c === ')' && --depth === 0) return i + 1;
  }
  throw new SipParseError(`The ${field} header has an unterminated (comment).`, field);
}

/** The user part of a sip:/sips: URI, or the number of a tel: URI; null when there is none. */
function userPart(uri: string): string | null {
  const match = /^(sips?|tel):([^;?]*)/i.exec(uri);
  if (match === null) return null;
  const [, scheme, rest = ''] = match;
  if (scheme?.toLowerCase() === 'tel') return rest;
  const at = rest.lastIndexOf('@');
  if (at < 0) return null;
  // A user part may carry its own parameters (";isub=..."); the number is before them.
  return (rest.slice(0, at).split(';')[0] ?? '').split(':')[0] ?? '';
}

function e164Of(uri: string): string | null {
  const user = userPart(uri);
  if (user === null) return null;
  // Visual separators are allowed in telephone-subscriber numbers (RFC 3966 §3).
  const number = user.replace(/[-.()]/g, '');
  return E164.test(number) ? number : null;
}

/** The caller: the E.164 number of the From URI when it has one, else the URI itself. */
function callerOf(fromUri: string): string {
  return e164Of(fromUri) ?? fromUri;
}

function displayName(key: string): string {
  switch (key) {
    case 'call-id':
      return 'Call-ID';
    case 'cseq':
      return 'CSeq';
    default:
      return key.replace(/(^|-)([a-z])/g, (_, dash: string, letter: string) => `${dash}${letter.toUpperCase()}`);
  }
}
