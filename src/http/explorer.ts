/**
 * The offline GraphQL explorer: GraphiQL 3.9's prebuilt UMD bundle with React 18, served from the
 * project's own node_modules. No CDN, no bundler: the page works with the network off (docs/architecture.md, "Known-good choices on this machine").
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';

/** One tab the explorer opens with. */
export interface ExplorerTab {
  readonly query: string;
  readonly variables?: string;
  /** JSON object text, e.g. `{"Authorization":"Bearer dev-signal-key"}`. */
  readonly headers?: string;
}

/**
 * The explorer's Handoff API panel (the REST route of `handoff-api.ts`) and what its form starts
 * with; every field may be left out (the user fills it in).
 */
export interface ExplorerHandoffApi {
  readonly accountId?: string;
  readonly projectId?: string;
  /** A Handoff API key for `x-api-key` (the dev launcher's read key). */
  readonly apiKey?: string;
  /** A `shared_id` to ask for (the dev launcher's example contact). */
  readonly sharedId?: string;
}

export interface ExplorerOptions {
  /** GraphQL endpoint path the page posts to; subscriptions go to the same path over graphql-ws. */
  readonly endpoint: string;
  /** Tabs opened on first visit (GraphiQL keeps the user's own tabs in localStorage after that). */
  readonly tabs: readonly ExplorerTab[];
  readonly title?: string;
  /** Shows the Handoff API panel (a GraphiQL sidebar plugin) when given. */
  readonly handoffApi?: ExplorerHandoffApi;
}

/** URL prefix of the explorer's static files. */
export const EXPLORER_ASSET_PREFIX = '/explorer/assets/';

const require = createRequire(import.meta.url);

/** The only files served: a fixed map, so no request path ever reaches the file system. */
const ASSETS: Readonly<Record<string, { readonly pkg: string; readonly path: string; readonly type: string }>> = {
  'graphiql.min.css': { pkg: 'graphiql', path: 'graphiql.min.css', type: 'text/css; charset=utf-8' },
  'graphiql.min.js': { pkg: 'graphiql', path: 'graphiql.min.js', type: 'text/javascript; charset=utf-8' },
  'react.production.min.js': { pkg: 'react', path: 'umd/react.production.min.js', type: 'text/javascript; charset=utf-8' },
  'react-dom.production.min.js': {
    pkg: 'react-dom',
    path: 'umd/react-dom.production.min.js',
    type: 'text/javascript; charset=utf-8',
  },
};

/** The packages' `exports` hide their UMD files, so resolve the package root and join the path. */
function assetPath(asset: { readonly pkg: string; readonly path: string }): string {
  return join(dirname(require.resolve(`${asset.pkg}/package.json`)), asset.path);
}

/** Escapes text for a `<script>` block: JSON is safe there once `<` cannot open a tag. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replaceAll('<', '\\u003c').replaceAll('\u2028', '\\u2028').replaceAll('\u2029', '\\u2029');
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * The page is served only when the request's Host is loopback (`localhost`, `127.0.0.1`, `[::1]`,
 * any port): it embeds the dev launcher's keys, and a DNS-rebinding page (evil.example resolving to
 * 127.0.0.1) reaches the gateway with its own name in Host. Any other Host gets a 404.
 */
const LOOPBACK_HOST = /^(?:localhost|127\.0\.0\.1|\[::1\])(?::\d{1,5})?$/i;

export function isLoopbackHost(host: string | undefined): boolean {
  return host !== undefined && LOOPBACK_HOST.test(host);
}

/**
 * The Handoff API panel: a GraphiQL sidebar plugin (React without JSX, as the page has no bundler)
 * with a form for `GET /v1/{account}/{project}/handoff_state?shared_id=…|id=…` and `x-api-key`,
 * sent with fetch to the page's own origin; it shows the status and the JSON answer, and the same
 * call as curl.
 */
const handoffApiPlugin = `
  function handoffApiPlugin(preset) {
    const labelStyle = { display: 'block', margin: '10px 0 2px', fontSize: '12px', opacity: 0.75 };
    const inputStyle = { width: '100%', boxSizing: 'border-box', padding: '4px 6px', font: 'inherit', color: 'inherit', background: 'transparent', border: '1px solid hsla(var(--color-neutral), var(--alpha-background-heavy))', borderRadius: '4px' };
    const preStyle = { whiteSpace: 'pre-wrap', wordBreak: 'break-all', fontSize: '12px', padding: '8px', borderRadius: '4px', background: 'hsla(var(--color-neutral), var(--alpha-background-light))' };
    function Field(props) {
      return h('label', { style: labelStyle }, props.label,
        h('input', { style: inputStyle, value: props.value, 'aria-label': props.label, spellCheck: false, onChange: (e) => props.set(e.target.value) }));
    }
    function Panel() {
      const [account, setAccount] = React.useState(preset.accountId || '');
      const [project, setProject] = React.useState(preset.projectId || '');
      const [by, setBy] = React.useState('shared_id');
      const [value, setValue] = React.useState(preset.sharedId || '');
      const [key, setKey] = React.useState(preset.apiKey || '');
      const [result, setResult] = React.useState(null);
      const path = '/v1/' + encodeURIComponent(account) + '/' + encodeURIComponent(project) + '/handoff_state?' + by + '=' + encodeURIComponent(value);
      async function send() {
        setResult({ status: '…', body: '' });
        try {
          const res = await fetch(path, { headers: { 'x-api-key': key } });
          const text = await res.text();
          let body = text;
          try { body = JSON.stringify(JSON.parse(text), null, 2); } catch {}
          setResult({ status: res.status, body });
        } catch (error) {
          setResult({ status: 'failed', body: String(error) });
        }
      }
      const curl = "curl -s '" + new URL(path, window.location.href) + "' -H 'x-api-key: " + key + "'";
      return h('div', { 'data-testid': 'handoff-api' },
        h('div', { className: 'graphiql-doc-explorer-title' }, 'Handoff API'),
        h('p', { style: { fontSize: '13px' } }, "The REST screen-pop read, PolyAI's shape: GET /v1/{account}/{project}/handoff_state with x-api-key (a read or signal key)."),
        h(Field, { label: 'account id', value: account, set: setAccount }),
        h(Field, { label: 'project id', value: project, set: setProject }),
        h('label', { style: labelStyle }, 'find by',
          h('select', { style: inputStyle, value: by, 'aria-label': 'find by', onChange: (e) => setBy(e.target.value) },
            h('option', { value: 'shared_id' }, 'shared_id (sharedId or CXone contact id)'),
            h('option', { value: 'id' }, 'id (conversationId or handoff id)'))),
        h(Field, { label: by, value, set: setValue }),
        h(Field, { label: 'x-api-key', value: key, set: setKey }),
        h('p', {}, h('button', { type: 'button', className: 'graphiql-button', onClick: send }, 'Send GET')),
        h('pre', { style: preStyle }, curl),
        result && h('div', { 'data-testid': 'handoff-api-result' },
          h('p', {}, 'HTTP ' + result.status),
          h('pre', { style: preStyle }, result.body)));
    }
    function Icon() {
      return h('span', { 'aria-hidden': true, style: { fontSize: '10px', fontWeight: 700, letterSpacing: '0.02em' } }, 'REST');
    }
    return { title: 'Handoff API', icon: Icon, content: Panel };
  }`;

/** The page's one inline script, by itself, so the CSP can allow exactly it by hash. */
function explorerScript(options: ExplorerOptions): string {
  const config = { endpoint: options.endpoint, tabs: options.tabs, handoffApi: options.handoffApi ?? null };
  return `
  const config = ${scriptJson(config)};
  const endpoint = new URL(config.endpoint, window.location.href);
  // Subscriptions run over graphql-ws on the same origin and path (GraphiQL's bundle carries the
  // client); the headers pane becomes the connection_init payload, so its Authorization is the key.
  const socket = new URL(endpoint);
  socket.protocol = endpoint.protocol === 'https:' ? 'wss:' : 'ws:';
  const fetcher = GraphiQL.createFetcher({ url: endpoint.toString(), subscriptionUrl: socket.toString() });
  const h = React.createElement;${handoffApiPlugin}
  // Tabs the server offers replace the ones an earlier visit stored when they change (a restarted dev
  // launcher names a new example contact; the stored one is gone).
  let first;
  try {
    const offered = JSON.stringify(config.tabs);
    if (localStorage.getItem('cxgw:explorer-tabs') !== offered) {
      for (const key of ['tabState', 'query', 'variables', 'headers']) localStorage.removeItem('graphiql:' + key);
      localStorage.setItem('cxgw:explorer-tabs', offered);
    }
    if (localStorage.getItem('graphiql:tabState') === null) first = config.tabs[0];
  } catch {
    first = config.tabs[0];
  }
  // GraphiQL 3 opens the first default tab with its query only, its variables and headers empty until
  // another tab is chosen; on a first visit, give them as the editors' initial values.
  const initial = first ? { query: first.query, variables: first.variables, headers: first.headers } : {};
  ReactDOM.createRoot(document.getElementById('graphiql')).render(
    React.createElement(GraphiQL, {
      fetcher,
      defaultTabs: config.tabs,
      defaultEditorToolsVisibility: 'headers',
      shouldPersistHeaders: true,
      plugins: config.handoffApi ? [handoffApiPlugin(config.handoffApi)] : [],
      ...initial,
    }),
  );
`;
}

/**
 * Security headers of the page: scripts only from this origin plus the page's own inline script
 * (by hash), no framing (clickjacking), no MIME sniffing, no referrer. GraphiQL sets inline styles,
 * hence `style-src 'unsafe-inline'`; `connect-src 'self'` covers its fetches to /graphql.
 */
function explorerHeaders(script: string): Readonly<Record<string, string>> {
  const hash = createHash('sha256').update(script, 'utf8').digest('base64');
  const csp = [
    "default-src 'none'",
    `script-src 'self' 'sha256-${hash}'`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  return {
    'content-security-policy': csp,
    'x-frame-options': 'DENY',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-cache',
  };
}

/** The explorer's HTML page. */
export function explorerHtml(options: ExplorerOptions): string {
  return explorerPage(options).html;
}

function explorerPage(options: ExplorerOptions): ExplorerPage {
  const a = EXPLORER_ASSET_PREFIX;
  const script = explorerScript(options);
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(options.title ?? 'cxone-gateway explorer')}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${a}graphiql.min.css">
<style>html, body, #graphiql { height: 100%; margin: 0; }</style>
</head>
<body>
<div id="graphiql">Loading the explorer…</div>
<script src="${a}react.production.min.js"></script>
<script src="${a}react-dom.production.min.js"></script>
<script src="${a}graphiql.min.js"></script>
<script>${script}</script>
</body>
</html>
`;
  return { html, headers: explorerHeaders(script) };
}

/** True for a browser navigation (HTML wanted) to a loopback Host that is not itself a GraphQL GET request. */
export function wantsExplorer(request: FastifyRequest): boolean {
  if (request.method !== 'GET' || !isLoopbackHost(request.headers.host)) return false;
  const accept = request.headers.accept ?? '';
  if (!accept.includes('text/html')) return false;
  const query = request.query as Record<string, unknown> | undefined;
  return !query || query.query === undefined;
}

/**
 * Adds `GET /` (the page) and `GET /explorer/assets/:file` to the app, and returns the page's HTML
 * so the GraphQL route can answer browser navigations to the endpoint itself.
 */
export function registerExplorer(app: FastifyInstance, options: ExplorerOptions): ExplorerPage {
  const page = explorerPage(options);
  const cache = new Map<string, Buffer>();

  app.get('/', async (request, reply) => {
    if (!isLoopbackHost(request.headers.host)) return reply.code(404).send({ error: 'not_found', message: 'Not found.' });
    return sendExplorerPage(reply, page);
  });

  app.get<{ Params: { file: string } }>(`${EXPLORER_ASSET_PREFIX}:file`, async (request, reply) => {
    const asset = Object.hasOwn(ASSETS, request.params.file) ? ASSETS[request.params.file] : undefined;
    if (!asset) {
      return reply.code(404).send({ error: 'not_found', message: 'No such explorer asset.' });
    }
    let body = cache.get(request.params.file);
    if (!body) {
      body = await readFile(assetPath(asset));
      cache.set(request.params.file, body);
    }
    return reply.type(asset.type).header('cache-control', 'public, max-age=86400').header('x-content-type-options', 'nosniff').send(body);
  });

  return page;
}

/** The page and the headers it is served with. */
export interface ExplorerPage {
  readonly html: string;
  readonly headers: Readonly<Record<string, string>>;
}

/** Sends the explorer page with its security headers. */
export function sendExplorerPage(reply: FastifyReply, page: ExplorerPage): FastifyReply {
  return reply.type('text/html; charset=utf-8').headers(page.headers).send(page.html);
}
