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

  it('cannot be broken out of its script block by a tab', () => {
    const html = explorerHtml({ endpoint: '/graphql', tabs: [{ query: '</script><script>alert(1)</script>' }] });
    expect(html).not.toContain('</script><script>alert(1)');
  });
});
