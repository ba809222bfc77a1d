/**
 * The hostile-input corpus (issue 7): requests nobody should send, each with the answer the gateway
 * must give. Run by `hostile.test.ts` against gateway child processes: `prod` (NODE_ENV=production,
 * introspection off) by default, `dev` where a case needs introspection to reach a limit.
 *
 * Bodies may name placeholders the test fills in: `$CONTACT` (a live contact of tenant A),
 * `$HANDOFF` (a handoff of tenant A), `$INVITE` (a valid INVITE of tenant A's pseudo number);
 * paths may name `$CONTACT` and `$HANDOFF`.
 */

/** Which `Authorization` header a case sends. */
export type Auth = 'signal' | 'read' | 'other-signal' | 'other-read' | 'revoked' | 'none' | { readonly raw: string };

export interface HostileCase {
  readonly name: string;
  readonly gateway?: 'prod' | 'dev';
  readonly method?: 'GET' | 'POST';
  /** Path and query (default `/graphql`). */
  readonly path?: string;
  readonly auth?: Auth;
  /** Where the key goes: `authorization` (`Bearer <key>`, the default) or `x-api-key` (the Handoff API; the key as is). */
  readonly keyHeader?: 'authorization' | 'x-api-key';
  /** Default `application/json`; `null` sends none. */
  readonly contentType?: string | null;
  readonly headers?: Readonly<Record<string, string>>;
  /** Raw body, sent as is. */
  readonly body?: string;
  readonly expect: {
    readonly status: number;
    /** `errors[0].extensions.code`; `null` when the answer is not a GraphQL error (a 404 page, data). */
    readonly code: string | null;
    /** `extensions.field` of BAD_USER_INPUT (`null` when the input as a whole is wrong). */
    readonly field?: string | null;
    /** Text no error message may contain (a schema suggestion, an echo of the input). */
    readonly messageExcludes?: string;
    /** The exact `data` (e.g. `{ handoffStatus: null }` for another tenant's contact). */
    readonly data?: unknown;
  };
}

const json = (value: unknown): string => JSON.stringify(value);
const op = (query: string, variables?: Record<string, unknown>): string => json(variables === undefined ? { query } : { query, variables });

const SIGNAL = /* GraphQL */ `mutation S($input: SignalContactInput!) { signalContact(input: $input) { handoff { id state } } }`;
const STATUS = /* GraphQL */ `query Q($contactId: String!) { handoffStatus(contactId: $contactId) { id state } }`;
const REGISTER = /* GraphQL */ `mutation R($sipInvite: String!) { registerCall(sipInvite: $sipInvite) { contactId } }`;
const signal = (input: Record<string, unknown>): string => op(SIGNAL, { input });

const BAD_REQUEST = { status: 400, code: 'BAD_REQUEST' } as const;
const PARSE = { status: 400, code: 'GRAPHQL_PARSE_FAILED' } as const;
const INVALID = { status: 400, code: 'GRAPHQL_VALIDATION_FAILED' } as const;
const TOO_COMPLEX = { status: 400, code: 'QUERY_TOO_COMPLEX' } as const;
const TOO_LARGE = { status: 413, code: 'PAYLOAD_TOO_LARGE' } as const;
const UNAUTHENTICATED = { status: 401, code: 'UNAUTHENTICATED' } as const;
const badInput = (field: string) => ({ status: 400, code: 'BAD_USER_INPUT', field }) as const;

const malformedJson: HostileCase[] = [
  '{',
  '}',
  '[',
  '{"query":',
  '{"query": "{ __typename }"',
  "{'query': '{ __typename }'}",
  '{"query": "{ __typename }",}',
  '{query: "{ __typename }"}',
  'nul',
  'undefined',
  'NaN',
  '{"query": "\\x41"}',
  '{"query": "\\u12"}',
  '{"query": "{ __typename }"} trailing',
  '{"query": "{ __typename }"}{"query": "{ __typename }"}',
  '\u0000\u0001\u0002',
  '\uFEFF{"query": "{ __typename }"',
  '{"a":' + '['.repeat(100),
  '{"query": "' + 'x'.repeat(200),
  '--',
  '<?xml version="1.0"?><query>{ __typename }</query>',
  'query { __typename }',
].map((body, i) => ({ name: `malformed JSON #${i + 1}`, body, expect: BAD_REQUEST }));

const notOperations: HostileCase[] = [
  { name: 'empty body with a JSON content type', body: '', expect: BAD_REQUEST },
  { name: 'JSON null', body: 'null', expect: BAD_REQUEST },
  { name: 'JSON number', body: '42', expect: BAD_REQUEST },
  { name: 'JSON string', body: '"{ __typename }"', expect: BAD_REQUEST },
  { name: 'JSON true', body: 'true', expect: BAD_REQUEST },
  { name: 'an empty object', body: '{}', expect: BAD_REQUEST },
  { name: 'query is a number', body: json({ query: 1 }), expect: BAD_REQUEST },
  { name: 'query is an object', body: json({ query: { kind: 'Document' } }), expect: BAD_REQUEST },
  { name: 'query is an empty string', body: json({ query: '' }), expect: BAD_REQUEST },
  { name: 'variables is a string', body: json({ query: '{ __typename }', variables: '{"a":1}' }), expect: BAD_REQUEST },
  { name: 'variables is an array', body: json({ query: '{ __typename }', variables: [1] }), expect: BAD_REQUEST },
  { name: 'extensions is a string', body: json({ query: '{ __typename }', extensions: 'x' }), expect: BAD_REQUEST },
  { name: 'operationName is a number', body: json({ query: '{ __typename }', operationName: 7 }), expect: BAD_REQUEST },
  { name: 'batched array of two operations', body: json([{ query: '{ __typename }' }, { query: '{ __typename }' }]), expect: BAD_REQUEST },
  { name: 'batched array of 1,000 operations', body: json(Array.from({ length: 1000 }, () => ({ query: '{ __typename }' }))), expect: BAD_REQUEST },
  { name: 'batched empty array', body: '[]', expect: BAD_REQUEST },
  { name: 'batched array of one signal', body: json([{ query: SIGNAL, variables: { input: { contactId: '$CONTACT' } } }]), expect: BAD_REQUEST },
  { name: 'persisted query hash (persisted queries are off)', body: json({ extensions: { persistedQuery: { version: 1, sha256Hash: 'a'.repeat(64) } } }), expect: { status: 200, code: 'PERSISTED_QUERY_NOT_SUPPORTED' } },
  { name: 'two operations without operationName', body: json({ query: 'query A { __typename } query B { __typename }' }), expect: { status: 400, code: 'OPERATION_RESOLUTION_FAILURE' } },
  { name: 'operationName naming no operation', body: json({ query: 'query A { __typename }', operationName: 'Z' }), expect: { status: 400, code: 'OPERATION_RESOLUTION_FAILURE' } },
];

const contentTypes: HostileCase[] = [
  // fastify reads text/plain; Apollo's CSRF prevention then refuses the simple request.
  ...['text/plain', 'text/plain; charset=utf-8'].map(
    (contentType): HostileCase => ({ name: `POST as ${contentType} (CSRF)`, contentType, body: op('{ __typename }'), expect: BAD_REQUEST }),
  ),
  ...['application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', 'application/graphql', 'text/html', 'application/octet-stream', 'image/png', 'application/javascript'].map(
    (contentType): HostileCase => ({ name: `POST as ${contentType}`, contentType, body: op('{ __typename }'), expect: { status: 415, code: 'BAD_REQUEST' } }),
  ),
  // fetch labels a string body text/plain: CSRF prevention refuses it like the above.
  { name: 'POST without a content type (CSRF)', contentType: null, body: op('{ __typename }'), expect: BAD_REQUEST },
  { name: 'POST as application/json with a bogus charset is read as JSON', contentType: 'application/json; charset=klingon', body: op('{ __typename }'), expect: { status: 200, code: null } },
  { name: 'GET without a preflight header (CSRF)', method: 'GET', path: '/graphql?query=%7B__typename%7D', contentType: null, expect: BAD_REQUEST },
  { name: 'GET of a mutation', method: 'GET', path: `/graphql?query=${encodeURIComponent('mutation { registerCall(sipInvite: "x") { contactId } }')}`, contentType: null, headers: { 'apollo-require-preflight': 'true' }, expect: { status: 405, code: 'BAD_REQUEST' } },
  { name: 'GET with malformed variables', method: 'GET', path: '/graphql?query=%7B__typename%7D&variables=%7B', contentType: null, headers: { 'apollo-require-preflight': 'true' }, expect: BAD_REQUEST },
  { name: 'GET with a broken percent-encoding', method: 'GET', path: '/graphql?query=%E0%A4%A', contentType: null, headers: { 'apollo-require-preflight': 'true' }, expect: PARSE },
  { name: 'path traversal next to /graphql', method: 'GET', path: '/graphql/../../etc/passwd', contentType: null, expect: { status: 404, code: null } },
  { name: 'an unknown route', method: 'POST', path: '/admin', body: op('{ __typename }'), expect: { status: 404, code: null } },
];

const LIMIT = 65_536;
const oversized: HostileCase[] = [
  { name: 'a body one byte over BODY_LIMIT_BYTES', body: op(`{ __typename } #${'x'.repeat(LIMIT)}`).slice(0, LIMIT + 1), expect: TOO_LARGE },
  { name: 'a 1 MB query', body: op(`{ __typename } #${'x'.repeat(1_000_000)}`), expect: TOO_LARGE },
  { name: 'a 300 KB body of whitespace', body: ' '.repeat(300_000), expect: TOO_LARGE },
  { name: 'a 200 KB variables object', body: signal({ contactId: '$CONTACT', context: { blob: 'y'.repeat(200_000) } }), expect: TOO_LARGE },
  { name: 'a 100 KB param', body: signal({ contactId: '$CONTACT', params: ['p'.repeat(100_000)] }), expect: TOO_LARGE },
  { name: 'a 70 KB SIP INVITE', body: op(REGISTER, { sipInvite: 'INVITE '.repeat(10_000) }), expect: TOO_LARGE },
  { name: 'an oversized malformed body', body: `{${'"a":1,'.repeat(20_000)}`, expect: TOO_LARGE },
  { name: 'an oversized batch', body: json(Array.from({ length: 5_000 }, () => ({ query: '{ __typename }' }))), expect: TOO_LARGE },
];

const fields = (n: number, field: string): string => Array.from({ length: n }, () => field).join(' ');
const aliases = (n: number, field: string): string => Array.from({ length: n }, (_, i) => `a${i}: ${field}`).join(' ');
const ofType = (n: number): string => `${'ofType { '.repeat(n)}name${' }'.repeat(n)}`;

const limits: HostileCase[] = [
  { name: '16 aliases (limit 15)', auth: 'read', body: op(`{ ${aliases(16, 'handoffStatus(contactId: "1") { id }')} }`), expect: TOO_COMPLEX },
  { name: '100 aliases', auth: 'read', body: op(`{ ${aliases(100, 'handoffStatus(contactId: "1") { id }')} }`), expect: TOO_COMPLEX },
  { name: '300 aliased mutations', body: op(`mutation { ${aliases(300, 'registerCall(sipInvite: "x") { contactId }')} }`), expect: TOO_COMPLEX },
  { name: '15 aliases (at the limit) are served', auth: 'read', body: op(`{ ${aliases(15, 'handoffStatus(contactId: "1") { id }')} }`), expect: { status: 200, code: null } },
  { name: 'alias bomb through a fragment spread 20 times', auth: 'read', body: op(`{ ${aliases(20, 'handoffStatus(contactId: "1") { ...F }')} } fragment F on Handoff { id }`), expect: TOO_COMPLEX },
  { name: 'aliases inside a fragment', auth: 'read', body: op(`{ handoffStatus(contactId: "1") { ...F } } fragment F on Handoff { ${aliases(40, 'id')} }`), expect: TOO_COMPLEX },
  // graphql-js 16 guards its overlapping-fields rule: too many comparisons abort validation.
  { name: '2,000 duplicated fields', auth: 'read', body: op(`{ handoffStatus(contactId: "1") { ${fields(2000, 'id')} } }`), expect: INVALID },
  { name: '1,100 duplicated fields within the token limit', auth: 'read', body: op(`{ handoffStatus(contactId: "1") { ${fields(1100, 'id')} } }`), expect: INVALID },
  { name: '600 duplicated root fields', auth: 'read', body: op(`{ ${fields(600, 'handoffStatus(contactId: "1") { id }')} }`), expect: TOO_COMPLEX },
  { name: '5,000 tokens of __typename', body: op(`{ ${fields(5_000, '__typename')} }`), expect: TOO_COMPLEX },
  { name: '10,000 tokens of __typename (over the body limit first)', body: op(`{ ${fields(10_000, '__typename')} }`), expect: TOO_LARGE },
  { name: '3,001 tokens', body: op(`{ ${fields(2999, '__typename')} }`), expect: TOO_COMPLEX },
  { name: '21 directives (limit 20)', body: op(`{ ${fields(21, '__typename @include(if: true)')} }`), expect: TOO_COMPLEX },
  { name: '20 directives (at the limit) are served', body: op(`{ ${fields(20, '__typename @include(if: true)')} }`), expect: { status: 200, code: null } },
  { name: '200 directives on aliased typenames', body: op(`{ ${Array.from({ length: 200 }, (_, i) => `t${i}: __typename @skip(if: false)`).join(' ')} }`), expect: TOO_COMPLEX },
  // `__typename` aliases count like any other (graphql-armor exempts them by default).
  { name: '16 __typename aliases (limit 15)', body: op(`{ ${aliases(16, '__typename')} }`), expect: TOO_COMPLEX },
  { name: '900 __typename aliases', body: op(`{ ${aliases(900, '__typename')} }`), expect: TOO_COMPLEX },
  { name: '16 __typename aliases inside a field', auth: 'read', body: op(`{ handoffStatus(contactId: "1") { ${aliases(16, '__typename')} } }`), expect: TOO_COMPLEX },
  { name: '15 __typename aliases (at the limit) are served', body: op(`{ ${aliases(15, '__typename')} }`), expect: { status: 200, code: null } },
  { name: 'a repeated directive on one field', body: op(`{ __typename ${'@skip(if: false) '.repeat(5)} }`), expect: INVALID },
  { name: 'unknown directives', body: op('{ __typename @evil @evil2(x: 1) }'), expect: INVALID },
  { name: '1,000 nested selection sets', body: op(`{ ${'a { '.repeat(1000)}b${' }'.repeat(1000)} }`), expect: TOO_COMPLEX },
  { name: '500 nested selection sets of unknown fields', body: op(`{ ${'a { '.repeat(500)}b${' }'.repeat(500)} }`), expect: INVALID },
  { name: '20 nested list literals', body: op(`{ handoffStatus(contactId: ${'['.repeat(20)}"1"${']'.repeat(20)}) { id } }`), expect: INVALID },
  { name: 'self-referencing fragments', body: op('{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }'), expect: INVALID },
  { name: 'a 5,000-character field name', body: op(`{ ${'f'.repeat(5000)} }`), expect: INVALID },
  { name: 'a 40,000-character string literal', auth: 'read', body: op(`{ handoffStatus(contactId: "${'9'.repeat(40_000)}") { id } }`), expect: badInput('contactId') },
  { name: 'introspection 12 levels deep beside a real field (dev)', gateway: 'dev', auth: 'read', body: op(`{ handoffStatus(contactId: "1") { id } __type(name: "Handoff") { fields { type { ${ofType(10)} } } } }`), expect: TOO_COMPLEX },
  { name: 'depth within the limit is served (dev)', gateway: 'dev', auth: 'read', body: op('{ handoffs(first: 1) { edges { node { call { contactId } } } } }'), expect: { status: 200, code: null } },
  { name: 'introspection alone is exempt from depth (dev)', gateway: 'dev', body: op(`{ __type(name: "Handoff") { fields { type { ${ofType(8)} } } } }`), expect: { status: 200, code: null } },
  { name: 'unterminated string', body: op('{ handoffStatus(contactId: "1) { id } }'), expect: PARSE },
  { name: 'unbalanced braces', body: op('{ handoffStatus(contactId: "1") { id }'), expect: PARSE },
  { name: 'a lone bracket', body: op('}'), expect: PARSE },
  { name: 'control characters in the document', body: op('{ __typename \u0007 }'), expect: PARSE },
  { name: 'a NUL in the document', body: op('{ __typ\u0000ename }'), expect: PARSE },
];

const introspection: HostileCase[] = [
  { name: 'production: __schema', body: op('{ __schema { types { name } } }'), expect: INVALID },
  { name: 'production: __type', body: op('{ __type(name: "Query") { name fields { name } } }'), expect: INVALID },
  { name: 'production: the IntrospectionQuery', body: op('query IntrospectionQuery { __schema { queryType { name } mutationType { name } types { kind name fields(includeDeprecated: true) { name } } directives { name } } }'), expect: INVALID },
  { name: 'production: __schema with a key', auth: 'signal', body: op('{ __schema { queryType { name } } }'), expect: INVALID },
  { name: 'production: __schema hidden in a fragment', body: op('{ ...F } fragment F on Query { __schema { types { name } } }'), expect: INVALID },
  { name: 'production: __schema over GET', method: 'GET', path: `/graphql?query=${encodeURIComponent('{ __schema { types { name } } }')}`, contentType: null, headers: { 'apollo-require-preflight': 'true' }, expect: INVALID },
  { name: 'production: __typename is still served', body: op('{ __typename }'), expect: { status: 200, code: null, data: { __typename: 'Query' } } },
  { name: 'production: no field suggestions leak the schema', body: op('{ handoffStatu }'), expect: { ...INVALID, messageExcludes: 'Did you mean' } },
  { name: 'production: no field suggestions leak the schema, without a key', auth: 'none', body: op('{ handoffStatu { i } }'), expect: { ...INVALID, messageExcludes: 'Did you mean' } },
  { name: 'production: no argument suggestions either', auth: 'read', body: op('{ handoffs(frist: 1) { edges { cursor } } }'), expect: { ...INVALID, messageExcludes: 'Did you mean' } },
  { name: 'production: no enum value suggestions either', auth: 'read', body: op('{ handoffs(state: PENDNG) { edges { cursor } } }'), expect: { ...INVALID, messageExcludes: 'Did you mean' } },
  { name: 'an unknown 50 KB operationName is not echoed', body: json({ query: 'query A { __typename }', operationName: `Op${'x'.repeat(50_000)}` }), expect: { status: 400, code: 'OPERATION_RESOLUTION_FAILURE' } },
  { name: 'an unknown 10 KB enum literal is not echoed', auth: 'read', body: op(`{ handoffs(state: P${'X'.repeat(10_000)}) { edges { cursor } } }`), expect: { ...INVALID, messageExcludes: 'XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX' } },
  { name: 'an unknown 10 KB field name is not echoed (dev)', gateway: 'dev', auth: 'read', body: op(`{ h${'y'.repeat(10_000)} }`), expect: { ...INVALID, messageExcludes: 'yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy' } },
];

const badContactIds: readonly [string, unknown][] = [
  ['letters', 'abc'],
  ['empty', ''],
  ['a space', ' '],
  ['leading space', ' 123'],
  ['trailing newline', '123\n'],
  ['negative', '-123'],
  ['plus sign', '+123'],
  ['decimal', '12.5'],
  ['hex', '0x1F'],
  ['exponent', '1e9'],
  ['21 digits', '1'.repeat(21)],
  ['10,000 digits', '7'.repeat(10_000)],
  ['Arabic-Indic digits', '١٢٣'],
  ['full-width digits', '１２３'],
  ['SQL injection', "1'; DROP TABLE handoffs; --"],
  ['path traversal', '../../etc/passwd'],
  ['percent-encoded', '%31%32'],
  ['NUL byte', '12\u00003'],
  ['CRLF', '12\r\n34'],
  ['emoji', '12😀'],
  ['a number, not a string', 12345],
  ['null', null],
  ['an object', { id: '1' }],
  ['an array', ['1']],
  ['a boolean', true],
];
const contactIds: HostileCase[] = [
  ...badContactIds.map(([what, contactId]): HostileCase => ({ name: `signalContact: contactId ${what}`, body: signal({ contactId, params: ['a'] }), expect: badInput('input.contactId') })),
  ...badContactIds
    .filter(([, v]) => typeof v === 'string')
    .slice(0, 10)
    .map(([what, contactId]): HostileCase => ({ name: `handoffStatus: contactId ${what}`, auth: 'read', body: op(STATUS, { contactId }), expect: badInput('contactId') })),
  { name: 'signalContact: contactId missing', body: signal({ params: ['a'] }), expect: badInput('input') },
  { name: 'signalContact: unknown input field', body: signal({ contactId: '$CONTACT', tenantId: 'beta' }), expect: badInput('input') },
  { name: 'signalContact: input is a string', body: op(SIGNAL, { input: 'x' }), expect: badInput('input') },
  { name: 'signalContact: no variables', body: op(SIGNAL), expect: { status: 400, code: 'BAD_USER_INPUT', field: null } },
];

const params: HostileCase[] = [
  { name: '10 params', body: signal({ contactId: '$CONTACT', params: Array.from({ length: 10 }, (_, i) => `p${i}`) }), expect: badInput('input.params') },
  { name: '1,000 params', body: signal({ contactId: '$CONTACT', params: Array.from({ length: 1000 }, () => 'p') }), expect: badInput('input.params') },
  { name: 'a param of 257 characters', body: signal({ contactId: '$CONTACT', params: ['x'.repeat(257)] }), expect: badInput('input.params[0]') },
  { name: 'a param of 20,000 characters', body: signal({ contactId: '$CONTACT', params: ['a', 'x'.repeat(20_000)] }), expect: badInput('input.params[1]') },
  ...['\u0000', '\r\n', '\n', '\u001b[2J', '\u0007', '\u007f', '\u0085', '\u001f'].map(
    (ctl, i): HostileCase => ({ name: `a param with control character U+${ctl.codePointAt(0)?.toString(16).padStart(4, '0') ?? ''} (#${i + 1})`, body: signal({ contactId: '$CONTACT', params: [`a${ctl}b`] }), expect: badInput('input.params[0]') }),
  ),
  { name: 'a param that is a number', body: signal({ contactId: '$CONTACT', params: [1] }), expect: badInput('input.params[0]') },
  { name: 'a param that is null', body: signal({ contactId: '$CONTACT', params: [null] }), expect: badInput('input.params[0]') },
  { name: 'a param that is an object', body: signal({ contactId: '$CONTACT', params: [{ p1: 'x' }] }), expect: badInput('input.params[0]') },
  { name: 'nested params', body: signal({ contactId: '$CONTACT', params: [['x']] }), expect: badInput('input.params[0]') },
  { name: 'params as an object of p1..p9', body: signal({ contactId: '$CONTACT', params: { p1: 'a' } }), expect: badInput('input.params') },
  { name: 'a param with a lone high surrogate', body: signal({ contactId: '$CONTACT', params: ['ok', 'a\ud800b'] }), expect: badInput('input.params[1]') },
  { name: 'a param with a lone low surrogate', body: signal({ contactId: '$CONTACT', params: ['\udc00'] }), expect: badInput('input.params[0]') },
  ...['\u202a', '\u202b', '\u202c', '\u202d', '\u202e', '\u2066', '\u2067', '\u2068', '\u2069', '\u2028', '\u2029'].map(
    (ch): HostileCase => ({ name: `a param with bidi control or separator U+${ch.codePointAt(0)?.toString(16).toUpperCase() ?? ''}`, body: signal({ contactId: '$CONTACT', params: [`a${ch}b`] }), expect: badInput('input.params[0]') }),
  ),
  { name: 'an idempotencyKey of 129 characters', body: signal({ contactId: '$CONTACT', idempotencyKey: 'k'.repeat(129) }), expect: badInput('input.idempotencyKey') },
  { name: 'an idempotencyKey with a newline', body: signal({ contactId: '$CONTACT', idempotencyKey: 'k\nk' }), expect: badInput('input.idempotencyKey') },
  { name: 'an empty idempotencyKey', body: signal({ contactId: '$CONTACT', idempotencyKey: '' }), expect: badInput('input.idempotencyKey') },
];

const nested = (depth: number): unknown => {
  let value: unknown = 'leaf';
  for (let i = 0; i < depth; i += 1) value = { a: value };
  return value;
};
const nestedArrays = (depth: number): unknown => {
  let value: unknown = 1;
  for (let i = 0; i < depth; i += 1) value = [value];
  return value;
};
const context: HostileCase[] = [
  { name: 'a context of 17 KB (limit 16 KB)', body: signal({ contactId: '$CONTACT', context: { blob: 'c'.repeat(17_000) } }), expect: badInput('input.context') },
  { name: 'a context of 60 KB', body: signal({ contactId: '$CONTACT', context: { blob: 'c'.repeat(60_000) } }), expect: badInput('input.context') },
  { name: 'a context array of 10,000 numbers', body: signal({ contactId: '$CONTACT', context: Array.from({ length: 10_000 }, (_, i) => i) }), expect: badInput('input.context') },
  { name: 'a context nested 3,000 deep', body: signal({ contactId: '$CONTACT', context: nested(3000) }), expect: badInput('input.context') },
  { name: 'a context of 5,000 keys', body: signal({ contactId: '$CONTACT', context: Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`k${i}`, i])) }), expect: badInput('input.context') },
  { name: 'a context literal 3,000 deep in the query', body: op(`mutation { signalContact(input: { contactId: "1", context: ${'{ a: '.repeat(3000)}1${' }'.repeat(3000)} }) { handoff { id } } }`), expect: TOO_COMPLEX },
  { name: 'a context with a NUL in a string', body: signal({ contactId: '$CONTACT', context: { note: 'x\u0000y' } }), expect: badInput('input.context') },
  { name: 'a context with a NUL in a key', body: signal({ contactId: '$CONTACT', context: { 'x\u0000y': 1 } }), expect: badInput('input.context') },
  { name: 'a context with a lone surrogate', body: signal({ contactId: '$CONTACT', context: { note: '\ud800' } }), expect: badInput('input.context') },
  { name: 'a context of 2,500 nested objects under 16 KB', body: signal({ contactId: '$CONTACT', context: nested(2500) }), expect: badInput('input.context') },
  { name: 'a context of 3,000 nested arrays under 16 KB', body: signal({ contactId: '$CONTACT', context: nestedArrays(3000) }), expect: badInput('input.context') },
  { name: 'a context nested 33 deep (MAX_CONTEXT_DEPTH 32)', body: signal({ contactId: '$CONTACT', context: nested(33) }), expect: badInput('input.context') },
  { name: 'a context number of 1e400 (Infinity)', body: `{"query":${json(SIGNAL)},"variables":{"input":{"contactId":"$CONTACT","context":{"n":1e400}}}}`, expect: badInput('input.context') },
  { name: 'a context with __proto__ keys is stored as plain data', body: '{"query":"mutation S($input: SignalContactInput!) { signalContact(input: $input) { handoff { state } } }","variables":{"input":{"contactId":"$CONTACT","context":{"__proto__":{"polluted":true},"constructor":{"prototype":{"x":1}}}}}}', expect: BAD_REQUEST },
];

const sipBase = (lines: readonly string[]): string => `${lines.join('\r\n')}\r\n\r\n`;
const INVITE_LINES = [
  'INVITE sip:+15550100001@voice-agent.invalid SIP/2.0',
  'Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK776asdhds',
  'Max-Forwards: 70',
  'To: <sip:+15550100001@voice-agent.invalid>',
  'From: <sip:+15557654321@127.0.0.1>;tag=1928301774',
  'Call-ID: a84b4c76e66710@127.0.0.1',
  'CSeq: 314159 INVITE',
  'Contact: <sip:cxone@127.0.0.1>',
  'X-InContact-ContactId: 123456789012',
  'Content-Length: 0',
];
const without = (header: string): string[] => INVITE_LINES.filter((l) => !l.toLowerCase().startsWith(`${header.toLowerCase()}:`));
const withLine = (index: number, line: string): string[] => INVITE_LINES.map((l, i) => (i === index ? line : l));
const sipGarbage: readonly [string, string][] = [
  ['empty', ''],
  ['whitespace only', '   \r\n  '],
  ['no request line', sipBase(INVITE_LINES.slice(1))],
  ['a response instead of a request', sipBase(['SIP/2.0 200 OK', ...INVITE_LINES.slice(1)])],
  ['an OPTIONS request', sipBase(withLine(0, 'OPTIONS sip:+15550100001@voice-agent.invalid SIP/2.0'))],
  ['SIP/3.0', sipBase(withLine(0, 'INVITE sip:+15550100001@voice-agent.invalid SIP/3.0'))],
  ['an HTTP request', 'GET / HTTP/1.1\r\nHost: x\r\n\r\n'],
  ['no To header', sipBase(without('To'))],
  ['no From header', sipBase(without('From'))],
  ['no Call-ID header', sipBase(without('Call-ID'))],
  ['no contact-id header', sipBase(without('X-InContact-ContactId'))],
  ['no Via header', sipBase(without('Via'))],
  ['no CSeq header', sipBase(without('CSeq'))],
  ['a contact id with letters', sipBase(withLine(8, 'X-InContact-ContactId: 12ab'))],
  ['a contact id of 30 digits', sipBase(withLine(8, `X-InContact-ContactId: ${'1'.repeat(30)}`))],
  ['two contact-id headers', sipBase([...INVITE_LINES.slice(0, 9), 'X-InContact-ContactId: 999', ...INVITE_LINES.slice(9)])],
  ['CRLF injection in a header value', sipBase(withLine(4, 'From: <sip:+15557654321@127.0.0.1>;tag=1\r\nX-InContact-ContactId: 666'))],
  ['a bare LF inside a header value', sipBase(withLine(5, 'Call-ID: abc\ndef'))],
  ['a NUL in a header', sipBase(withLine(5, 'Call-ID: abc\u0000def'))],
  ['a header without a colon', sipBase(withLine(6, 'CSeq 314159 INVITE'))],
  ['a 20 KB header (over MAX_SIP_INVITE_BYTES)', sipBase(withLine(7, `Contact: <sip:${'c'.repeat(20_000)}@127.0.0.1>`))],
  ['2,000 headers (over MAX_SIP_INVITE_BYTES)', sipBase([...INVITE_LINES, ...Array.from({ length: 2_000 }, (_, i) => `X-H${i}: v`)])],
  ['a folded line before the first header', sipBase([INVITE_LINES[0] as string, ' continued', ...INVITE_LINES.slice(1)])],
  ['binary garbage', '\u0000\u00ff\u00fe\u0001INVITE\u0002'],
  // Issue 13 defect 8: a URI inside the quoted display name is not the pseudo number; the real one is unknown.
  ['a known pseudo number quoted in the To display name', sipBase(INVITE_LINES.map((l, i) => (i === 0 ? 'INVITE sip:voice-agent@voice-agent.invalid SIP/2.0' : i === 3 ? 'To: "<sip:+15550100001@voice-agent.invalid>" <sip:+15559999999@voice-agent.invalid>' : l)))],
  ['an unterminated quoted display name in To', sipBase(withLine(3, 'To: "<sip:+15550100001@voice-agent.invalid>'))],
  ['an unknown pseudo number', sipBase([...withLine(0, 'INVITE sip:+15559999999@voice-agent.invalid SIP/2.0').map((l) => l.replace('+15550100001', '+15559999999'))])],
];
const sip: HostileCase[] = [
  ...sipGarbage.map(([what, sipInvite]): HostileCase => {
    const forbidden = what.includes('pseudo number');
    return { name: `registerCall: ${what}`, body: op(REGISTER, { sipInvite }), expect: forbidden ? { status: 403, code: 'FORBIDDEN' } : badInput('sipInvite') };
  }),
  { name: 'registerCall: sipInvite is a number', body: op(REGISTER, { sipInvite: 5 }), expect: badInput('sipInvite') },
  { name: 'registerCall: sipInvite is null', body: op(REGISTER, { sipInvite: null }), expect: { status: 400, code: 'BAD_USER_INPUT', field: null } },
  { name: "registerCall: an INVITE to another tenant's pseudo number", body: op(REGISTER, { sipInvite: sipBase(INVITE_LINES.map((l) => l.replaceAll('+15550100001', '+15550100002'))) }), expect: { status: 403, code: 'FORBIDDEN' } },
  { name: 'registerCall: a valid INVITE is served', body: op(REGISTER, { sipInvite: '$INVITE' }), expect: { status: 200, code: null } },
  // Context headers never refuse the call (issue 12 §2): each bad one is left null with a warning.
  ...(
    [
      ['not JSON', '{"ivaParams":'],
      ['nested 3,000 deep', `${'['.repeat(3000)}${']'.repeat(3000)}`],
      ['12 KB of JSON', JSON.stringify({ blob: 'b'.repeat(12_000) })],
      ['an escaped NUL (jsonb cannot store it)', '{"a":"\\u0000"}'],
      ['a lone surrogate (jsonb cannot store it)', '["\\udfff"]'],
      ['a raw NUL', '{"a":"\u0000"}'],
    ] as const
  ).map(
    ([what, json]): HostileCase => ({
      name: `registerCall: X-CXone-Custom ${what} still records the call`,
      body: op(REGISTER, { sipInvite: sipBase([...INVITE_LINES.slice(0, -1), `X-CXone-Custom: ${json}`, 'Content-Length: 0']) }),
      expect: { status: 200, code: null },
    }),
  ),
];

const auth: HostileCase[] = [
  { name: 'no Authorization on a mutation', auth: 'none', body: signal({ contactId: '$CONTACT' }), expect: UNAUTHENTICATED },
  { name: 'no Authorization on a query', auth: 'none', body: op(STATUS, { contactId: '1' }), expect: UNAUTHENTICATED },
  ...['Bearer', 'Bearer ', 'Basic dXNlcjpwYXNz', 'Token abc', 'Bearer a b', 'Bearer\tkey\tmore', 'bearer', 'Bearer ' + 'k'.repeat(8_000), 'Digest username="x"', '   ', 'Bearer \u00e9t\u00e9', 'null', 'Bearer undefined', 'Bearer ../../etc/passwd', "Bearer ' OR 1=1 --"].map(
    (raw, i): HostileCase => ({ name: `a malformed or unknown Authorization #${i + 1}`, auth: { raw }, body: signal({ contactId: '$CONTACT' }), expect: UNAUTHENTICATED }),
  ),
  { name: 'a revoked key (hash not configured)', auth: 'revoked', body: signal({ contactId: '$CONTACT' }), expect: UNAUTHENTICATED },
  { name: 'a revoked key on a query', auth: 'revoked', body: op(STATUS, { contactId: '1' }), expect: UNAUTHENTICATED },
  { name: 'a read key on signalContact', auth: 'read', body: signal({ contactId: '$CONTACT' }), expect: { status: 403, code: 'FORBIDDEN' } },
  { name: 'a read key on registerCall', auth: 'read', body: op(REGISTER, { sipInvite: '$INVITE' }), expect: { status: 403, code: 'FORBIDDEN' } },
  { name: 'a read key on retryHandoff', auth: 'read', body: op('mutation R($id: ID!) { retryHandoff(id: $id) { handoff { id } } }', { id: '$HANDOFF' }), expect: { status: 403, code: 'FORBIDDEN' } },
  { name: "another tenant's read key: handoffStatus of A's contact is null", auth: 'other-read', body: op(STATUS, { contactId: '$CONTACT' }), expect: { status: 200, code: null, data: { handoffStatus: null } } },
  { name: "another tenant's read key: handoff(id) of A's handoff is null", auth: 'other-read', body: op('query H($id: ID!) { handoff(id: $id) { id } }', { id: '$HANDOFF' }), expect: { status: 200, code: null, data: { handoff: null } } },
  { name: "another tenant's read key: A's handoffs are not listed", auth: 'other-read', body: op('{ handoffs(first: 5) { edges { node { id } } } }'), expect: { status: 200, code: null, data: { handoffs: { edges: [] } } } },
  { name: "another tenant's signal key: retryHandoff of A's handoff is NOT_FOUND", auth: 'other-signal', body: op('mutation R($id: ID!) { retryHandoff(id: $id) { handoff { id } } }', { id: '$HANDOFF' }), expect: { status: 404, code: 'NOT_FOUND' } },
  { name: "another tenant's signal key: registerCall of A's INVITE is FORBIDDEN", auth: 'other-signal', body: op(REGISTER, { sipInvite: '$INVITE' }), expect: { status: 403, code: 'FORBIDDEN' } },
  { name: 'retryHandoff of a malformed id', body: op('mutation R($id: ID!) { retryHandoff(id: $id) { handoff { id } } }', { id: "1' OR '1'='1" }), expect: { status: 404, code: 'NOT_FOUND' } },
  ...[
    ['not base64url', '!!!'],
    ['base64url of garbage', Buffer.from('hello').toString('base64url')],
    ['a v1 cursor without a uuid', Buffer.from('v1:1700000000000:nope').toString('base64url')],
    ['a 513-character cursor', 'A'.repeat(513)],
  ].map(([what, after]): HostileCase => ({ name: `handoffs(after:) with a forged cursor: ${what ?? ''}`, auth: 'read', body: op('query L($after: String) { handoffs(first: 2, after: $after) { edges { cursor } } }', { after }), expect: { status: 400, code: 'BAD_USER_INPUT', field: 'after' } })),
  { name: 'handoff(id) of a 10,000-character id', auth: 'read', body: op('query H($id: ID!) { handoff(id: $id) { id } }', { id: 'x'.repeat(10_000) }), expect: { status: 200, code: null, data: { handoff: null } } },
];

// The REST Handoff API (PolyAI-compatible). Tenant A ("alpha") and B ("beta") have the PolyAI
// projects ws-alpha/PROJECT-alpha and ws-beta/PROJECT-beta (test/reliability/harness.ts). Its
// answers are `{ "message" }` bodies, not GraphQL errors: `code` is null throughout.
const A_STATE = '/v1/ws-alpha/PROJECT-alpha/handoff_state';
const B_STATE = '/v1/ws-beta/PROJECT-beta/handoff_state';
const handoffApi = (name: string, path: string, auth: Auth, status: number, method: 'GET' | 'POST' = 'GET'): HostileCase => ({
  name: `Handoff API: ${name}`,
  method,
  path,
  auth,
  keyHeader: 'x-api-key',
  contentType: null,
  ...(method === 'POST' ? { body: '' } : {}),
  expect: { status, code: null },
});
const handoffState: HostileCase[] = [
  handoffApi('a read key by contact id is served', `${A_STATE}?shared_id=$CONTACT`, 'read', 200),
  handoffApi('a signal key by handoff id is served', `${A_STATE}?id=$HANDOFF`, 'signal', 200),
  handoffApi('shared_id wins over a malformed id', `${A_STATE}?shared_id=$CONTACT&id=${'%00'.repeat(3)}`, 'read', 200),
  handoffApi('no x-api-key', `${A_STATE}?shared_id=$CONTACT`, 'none', 401),
  handoffApi('a revoked key', `${A_STATE}?shared_id=$CONTACT`, 'revoked', 401),
  handoffApi('"Bearer <key>" in x-api-key', `${A_STATE}?shared_id=$CONTACT`, { raw: 'Bearer not-a-key' }, 401),
  handoffApi('an 8,000-character key', `${A_STATE}?shared_id=$CONTACT`, { raw: 'k'.repeat(8_000) }, 401),
  handoffApi("another tenant's read key on A's path", `${A_STATE}?shared_id=$CONTACT`, 'other-read', 404),
  handoffApi("another tenant's signal key on A's path, by handoff id", `${A_STATE}?id=$HANDOFF`, 'other-signal', 404),
  handoffApi("another tenant's key on its own path, for A's contact", `${B_STATE}?shared_id=$CONTACT`, 'other-read', 404),
  handoffApi("A's key on another tenant's path", `${B_STATE}?shared_id=$CONTACT`, 'read', 404),
  handoffApi('an account nobody has', `/v1/ws-nobody/PROJECT-alpha/handoff_state?shared_id=$CONTACT`, 'read', 404),
  handoffApi('neither id nor shared_id', A_STATE, 'read', 400),
  handoffApi('both empty', `${A_STATE}?id=&shared_id=`, 'read', 400),
  handoffApi('shared_id given twice', `${A_STATE}?shared_id=1&shared_id=2`, 'read', 400),
  handoffApi('a 10,000-character id', `${A_STATE}?id=${'x'.repeat(10_000)}`, 'read', 400),
  handoffApi('a 20,000-character id (over the header limit)', `${A_STATE}?id=${'x'.repeat(20_000)}`, 'read', 431),
  handoffApi('a unicode shared_id', `${A_STATE}?shared_id=${encodeURIComponent('１２３😀')}`, 'read', 400),
  handoffApi('a NUL in shared_id', `${A_STATE}?shared_id=12%0034`, 'read', 400),
  handoffApi('CRLF in id', `${A_STATE}?id=a%0D%0ASet-Cookie:%20x`, 'read', 400),
  handoffApi('SQL injection in id', `${A_STATE}?id=${encodeURIComponent("1' OR '1'='1")}`, 'read', 404),
  handoffApi('SQL injection in shared_id', `${A_STATE}?shared_id=${encodeURIComponent("1'; DROP TABLE handoffs; --")}`, 'read', 404),
  handoffApi('encoded path traversal in the account id', `/v1/%2e%2e%2f%2e%2e%2fetc%2fpasswd/PROJECT-alpha/handoff_state?id=1`, 'read', 404),
  handoffApi('path traversal in the project id', `/v1/ws-alpha/..%2F..%2Fetc/handoff_state?id=1`, 'read', 404),
  handoffApi('a unicode account id', `/v1/${encodeURIComponent('ws-álpha')}/PROJECT-alpha/handoff_state?id=1`, 'read', 404),
  handoffApi('a 5,000-character account id', `/v1/${'a'.repeat(5_000)}/PROJECT-alpha/handoff_state?id=1`, 'read', 414),
  handoffApi('POST to the route', `${A_STATE}?shared_id=$CONTACT`, 'read', 404, 'POST'),
];

/** Every case, in the order the test sends them. */
export const HOSTILE_CORPUS: readonly HostileCase[] = [
  ...malformedJson,
  ...notOperations,
  ...contentTypes,
  ...oversized,
  ...limits,
  ...introspection,
  ...contactIds,
  ...params,
  ...context,
  ...sip,
  ...auth,
  ...handoffState,
];

/** A hostile graphql-ws subscription (tenant A's read key, the `prod` gateway, default limits). */
export interface HostileWsCase {
  readonly name: string;
  readonly query: string;
  readonly variables?: Record<string, unknown>;
  /** The subscription's `errors[0].extensions.code`; `null` when it is served. */
  readonly expect: { readonly code: string | null };
}

const changed = (selection: string): string => `subscription { handoffChanged { ${selection} } }`;

/** The limits HTTP applies hold over graphql-ws too, with the same codes (issue 13, defect 2). */
export const HOSTILE_WS_CORPUS: readonly HostileWsCase[] = [
  { name: 'ws: 900 aliases of context', query: changed(aliases(900, 'context')), expect: TOO_COMPLEX },
  { name: 'ws: 200 aliases of id', query: changed(aliases(200, 'id')), expect: TOO_COMPLEX },
  { name: 'ws: 300 aliases of call { contactId }', query: changed(aliases(300, 'call { contactId }')), expect: TOO_COMPLEX },
  { name: 'ws: 16 aliases (limit 15)', query: changed(aliases(16, 'id')), expect: TOO_COMPLEX },
  { name: 'ws: 16 __typename aliases (limit 15)', query: changed(`id ${aliases(16, '__typename')}`), expect: TOO_COMPLEX },
  { name: 'ws: 900 __typename aliases', query: changed(`id ${aliases(900, '__typename')}`), expect: TOO_COMPLEX },
  { name: 'ws: 100 directives', query: changed(fields(100, 'id @include(if: true)')), expect: TOO_COMPLEX },
  { name: 'ws: 21 directives (limit 20)', query: changed(fields(21, 'id @skip(if: false)')), expect: TOO_COMPLEX },
  { name: 'ws: 3,001 tokens', query: changed(fields(3_000, 'id')), expect: TOO_COMPLEX },
  { name: 'ws: a query is refused', query: '{ __typename }', expect: BAD_REQUEST },
  { name: 'ws: 15 aliases (at the limit) are served', query: changed(aliases(15, 'id')), expect: { code: null } },
];
