import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { HarnessResponse } from '../support/identity-harness.js';
import { startImage, type ImageHarness } from '../support/image-harness.js';

/**
 * Bad input on every image route, enumerated from the route table so a new
 * route is covered the day it is added: nothing may answer 5xx, and every
 * error is a Glance fault body ({code, title, message}) with the right status.
 */
describe('image: bad input on every route', () => {
  let h: ImageHarness;
  let routes: { method: string; url: string; public: boolean }[];
  let imageId: string;
  before(async () => {
    h = await startImage();
    routes = h.server.app.kumoRoutes.filter((r) => r.url.startsWith('/v2') && r.method !== 'HEAD');
    imageId = (await h.request('POST', '/v2/images', { body: { name: 'target', disk_format: 'raw', container_format: 'bare' } })).body.id;
  });
  after(() => h.close());

  const fill = (url: string, id: string): string => url.replace(/:image_id/g, imageId).replace(/:[a-z_]+/g, id);

  function assertFault(r: HarnessResponse, what: string, expected?: number): void {
    assert.ok(r.status < 500, `${what} answered ${r.status}: ${r.text}`);
    assert.ok(r.status >= 400, `${what} unexpectedly succeeded with ${r.status}`);
    if (expected !== undefined) assert.equal(r.status, expected, `${what}: ${r.text}`);
    assert.equal(r.body?.code, r.status, `${what} fault body: ${r.text}`);
    assert.equal(typeof r.body?.message, 'string', `${what} fault message`);
    assert.equal(typeof r.body?.title, 'string', `${what} fault title`);
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

  it('rejects malformed, mistyped, oversized and wrongly typed bodies with 4xx', async () => {
    const dataRoutes = /\/(file|stage)$/;
    // Routes that take no body (tags, actions) must still refuse a broken one.
    const bodiless = /\/tags\/:tag$|\/actions\//;
    for (const r of routes.filter((x) => ['POST', 'PUT', 'PATCH'].includes(x.method) && !dataRoutes.test(x.url))) {
      const path = fill(r.url, 'some-id');
      const what = `${r.method} ${r.url}`;
      const type: Record<string, string> = r.method === 'PATCH' ? { 'content-type': 'application/openstack-images-v2.1-json-patch' } : {};
      const malformed = await h.request(r.method, path, { raw: '{"a": ', headers: { 'content-type': 'application/json', ...type } });
      assertFault(malformed, `${what} malformed JSON`);
      if (bodiless.test(r.url)) continue;
      const typed = await h.request(r.method, path, { body: { x: 12345, name: ['not', 'a', 'string'] }, headers: type });
      assertFault(typed, `${what} mistyped body`);
      assertFault(await h.request(r.method, path, { body: 'a string', headers: type }), `${what} string body`);
      assertFault(
        await h.request(r.method, path, {
          raw: JSON.stringify({ pad: 'x'.repeat(200_000) }),
          headers: { 'content-type': 'application/json', ...type },
        }),
        `${what} oversized body`,
        413,
      );
      assertFault(
        await h.request(r.method, path, { raw: '{}', headers: { 'content-type': 'text/plain' } }),
        `${what} wrong content type`,
        415,
      );
    }
  });

  it('answers 4xx for odd IDs and query strings, never 5xx', async () => {
    const ids = ['x'.repeat(300), '%00', '..%2F..%2Fetc', encodeURIComponent('イメージ'), '%E2%82', '1%20OR%201=1'];
    for (const r of routes.filter((x) => x.url.includes(':'))) {
      for (const id of ids) {
        const url = r.url.replace(/:[a-z_]+/g, id);
        const res = await h.request(r.method, url, ['POST', 'PUT', 'PATCH'].includes(r.method) ? { body: {} } : {});
        assert.ok(res.status < 500, `${r.method} ${r.url} with id ${id} answered ${res.status}: ${res.text}`);
        if (res.status >= 400) assertFault(res, `${r.method} ${r.url} with id ${id}`);
      }
    }
    for (const r of routes.filter((x) => x.method === 'GET' && !x.url.includes(':'))) {
      const res = await h.request(
        'GET',
        `${r.url}?limit=abc&name=%00&sort_key=${'y'.repeat(500)}&visibility=7&created_at=gt:&size_min=-4&marker=zz`,
      );
      assert.ok(res.status < 500, `GET ${r.url} with odd query answered ${res.status}: ${res.text}`);
    }
  });
});
