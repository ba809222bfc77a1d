import { createHash } from 'node:crypto';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXPLORER_ASSET_PREFIX, explorerHtml, registerExplorer } from '../../src/http/explorer.js';

describe('explorer page', () => {
  const app = Fastify();
  beforeAll(async () => {
    registerExplorer(app, {
      endpoint: '/graphql',
      tabs: [{ query: '{ __typename }', headers: '{"Authorization":"Bearer dev-signal-key"}' }],
    });
    await app.ready();
  });
  afterAll(() => app.close());

  it('serves the page as UTF-8 HTML that loads only same-origin files', async () => {
    const res = await app.inject({ method: 'GET', url: '/' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.body).toContain('<meta charset="utf-8">');
    expect(res.body).not.toMatch(/(src|href)="(https?:)?\/\//);
    expect(res.body).toContain('Bearer dev-signal-key');
  });

  it.each(['graphiql.min.js', 'graphiql.min.css', 'react.production.min.js', 'react-dom.production.min.js'])(
    'serves %s from node_modules with a charset',
    async (file) => {
      const res = await app.inject({ method: 'GET', url: `${EXPLORER_ASSET_PREFIX}${file}` });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/charset=utf-8$/);
      expect(res.rawPayload.length).toBeGreaterThan(1000);
    },
  );

  it.each(['..%2Fpackage.json', 'index.html', 'constructor', '__proto__'])('refuses %s', async (file) => {
    const res = await app.inject({ method: 'GET', url: `${EXPLORER_ASSET_PREFIX}${file}` });
    expect(res.statusCode).toBe(404);
  });

  it.each(['localhost', 'localhost:4000', '127.0.0.1', '127.0.0.1:4000', '[::1]', '[::1]:4000', 'LOCALHOST:80'])('serves the page to Host %s', async (host) => {
    const res = await app.inject({ method: 'GET', url: '/', headers: { host } });
    expect(res.statusCode).toBe(200);
  });

  it.each(['evil.example', 'evil.example:4000', '127.0.0.1.evil.example', 'localhost.evil.example', '10.0.0.5:4000', '0.0.0.0:4000', 'localhost:4000@evil'])(
    'answers 404 without the page (or its key) to Host %j (DNS rebinding)',
    async (host) => {
      const res = await app.inject({ method: 'GET', url: '/', headers: { host } });
      expect(res.statusCode).toBe(404);
      expect(res.body).not.toContain('dev-signal-key');
    },
  );

  it('sends a CSP that allows only same-origin scripts and the page script by hash, no framing, no sniffing', async () => {
    const res = await app.inject({ method: 'GET', url: '/' });
    const csp = String(res.headers['content-security-policy']);
    const inline = /<script>([\s\S]*?)<\/script>/.exec(res.body)?.[1] ?? '';
    expect(csp).toContain(`script-src 'self' 'sha256-${createHash('sha256').update(inline).digest('base64')}'`);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("default-src 'none'");
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
  });

  it('runs subscriptions over graphql-ws on its own origin and path', async () => {
    const res = await app.inject({ method: 'GET', url: '/' });
    expect(res.body).toContain("socket.protocol = endpoint.protocol === 'https:' ? 'wss:' : 'ws:'");
    expect(res.body).toContain('subscriptionUrl: socket.toString()');
  });

  it.each([
    { given: 'no handoffApi option', handoffApi: undefined, panel: false },
    { given: 'a handoffApi option', handoffApi: { accountId: 'ws-demo', projectId: 'PROJECT-demo', apiKey: 'dev-read-key', sharedId: '1001' }, panel: true },
  ])('with $given, the Handoff API panel is there: $panel', ({ handoffApi, panel }) => {
    const html = explorerHtml({ endpoint: '/graphql', tabs: [], ...(handoffApi ? { handoffApi } : {}) });
    const config = JSON.parse(/const config = (.*);/.exec(html)?.[1] ?? 'null') as { handoffApi: unknown };
    expect(config.handoffApi).toEqual(handoffApi ?? null);
    expect(config.handoffApi !== null).toBe(panel);
    expect(html).toContain('plugins: config.handoffApi ? [handoffApiPlugin(config.handoffApi)] : []');
  });

  it('cannot be broken out of its script block by a tab', () => {
    const html = explorerHtml({ endpoint: '/graphql', tabs: [{ query: '</script><script>alert(1)</script>' }] });
    expect(html).not.toContain('</script><script>alert(1)');
  });
});
