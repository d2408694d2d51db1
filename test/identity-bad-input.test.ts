import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startIdentity, type HarnessResponse, type IdentityHarness } from './support/identity-harness.js';

/**
 * Bad input on every identity route, enumerated from the route table so a new
 * route is covered the day it is added: nothing may answer 5xx, and every
 * error is a Keystone fault body with the right status.
 */
describe('identity: bad input on every route', () => {
  let h: IdentityHarness;
  let routes: { method: string; url: string; public: boolean }[];
  before(async () => {
    h = await startIdentity();
    routes = h.server.app.kumoRoutes.filter((r) => r.url.startsWith('/v3') && r.method !== 'HEAD');
  });
  after(() => h.close());

  const fill = (url: string, id: string): string => url.replace(/:[a-z_]+/g, id);

  function assertFault(r: HarnessResponse, what: string, expected?: number): void {
    assert.ok(r.status < 500, `${what} answered ${r.status}: ${r.text}`);
    assert.ok(r.status >= 400, `${what} unexpectedly succeeded with ${r.status}`);
    if (expected !== undefined) assert.equal(r.status, expected, `${what}: ${r.text}`);
    assert.equal(r.body?.error?.code, r.status, `${what} fault body: ${r.text}`);
    assert.equal(typeof r.body?.error?.message, 'string', `${what} fault message`);
    assert.equal(typeof r.body?.error?.title, 'string', `${what} fault title`);
  }

  it('covers a meaningful route table', () => {
    assert.ok(routes.length >= 20, `only ${routes.length} routes`);
  });

  it('requires a token on every non-public route (missing, garbage, truncated)', async () => {
    for (const r of routes.filter((x) => !x.public)) {
      const path = fill(r.url, 'some-id');
      assertFault(await h.request(r.method, path, { token: null }), `${r.method} ${r.url} without token`, 401);
      assertFault(await h.request(r.method, path, { token: 'garbage' }), `${r.method} ${r.url} with garbage token`, 401);
      assertFault(await h.request(r.method, path, { token: h.adminToken.slice(0, -4) }), `${r.method} ${r.url} with truncated token`, 401);
    }
  });

  it('rejects malformed, mistyped, oversized and non-object bodies with 4xx', async () => {
    for (const r of routes.filter((x) => ['POST', 'PUT', 'PATCH'].includes(x.method))) {
      const path = fill(r.url, 'some-id');
      const what = `${r.method} ${r.url}`;
      assertFault(await h.request(r.method, path, { raw: '{"a": ' }), `${what} malformed JSON`, 400);
      const typed = await h.request(r.method, path, { body: { x: 12345, name: ['not', 'a', 'string'] } });
      if (typed.status < 400) assert.fail(`${what} accepted a mistyped body: ${typed.status} ${typed.text}`);
      assertFault(typed, `${what} mistyped body`);
      assertFault(await h.request(r.method, path, { body: [1, 2, 3] }), `${what} array body`);
      assertFault(await h.request(r.method, path, { body: 'a string' }), `${what} string body`);
      assertFault(await h.request(r.method, path, { raw: JSON.stringify({ pad: 'x'.repeat(200_000) }) }), `${what} oversized body`, 413);
      assertFault(
        await h.request(r.method, path, { raw: '{}', headers: { 'content-type': 'text/plain' } }),
        `${what} wrong content type`,
        415,
      );
    }
  });

  it('answers 4xx for odd IDs and query strings, never 5xx', async () => {
    const ids = ['x'.repeat(300), '%00', '..%2F..%2Fetc', encodeURIComponent('プロジェクト'), '%E2%82', '1%20OR%201=1'];
    for (const r of routes.filter((x) => x.url.includes(':'))) {
      for (const id of ids) {
        const res = await h.request(r.method, fill(r.url, id), ['POST', 'PUT', 'PATCH'].includes(r.method) ? { body: {} } : {});
        assert.ok(res.status < 500, `${r.method} ${r.url} with id ${id} answered ${res.status}: ${res.text}`);
        if (res.status >= 400) assertFault(res, `${r.method} ${r.url} with id ${id}`);
      }
    }
    for (const r of routes.filter((x) => x.method === 'GET' && !x.url.includes(':'))) {
      const res = await h.request('GET', `${r.url}?enabled=maybe&limit=abc&name=%00&domain_id=${'y'.repeat(500)}&user.id=&effective=7`);
      assert.ok(res.status < 500, `GET ${r.url} with odd query answered ${res.status}: ${res.text}`);
    }
  });
});
