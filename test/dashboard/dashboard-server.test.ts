/**
 * The dashboard server against real identity and image services: the app's
 * files with their caching headers, page paths answered with the app, and
 * the `/api/<service>` proxy — only to services in the caller's catalog,
 * with the caller's token, streaming an image upload through.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createDashboardServer, type DashboardServer } from '../../src/dashboard/dashboard-server.js';
import { createLogger } from '../../src/lib/log.js';
import { startImage, type ImageHarness } from '../support/image-harness.js';

describe('dashboard server', () => {
  let h: ImageHarness;
  let dash: DashboardServer;
  let url: string;
  let assets: string;
  let token: string;

  before(async () => {
    h = await startImage();
    const admin = { token: h.adminToken };
    const svc = await h.identity.request('POST', '/v3/services', { ...admin, body: { service: { type: 'image', name: 'glance' } } });
    await h.identity.request('POST', '/v3/endpoints', {
      ...admin,
      body: { endpoint: { service_id: svc.body.service.id, interface: 'public', url: h.url, region_id: 'RegionOne' } },
    });
    assets = await mkdtemp(join(tmpdir(), 'kumo-dash-assets-'));
    await mkdir(join(assets, 'assets'));
    await writeFile(join(assets, 'index.html'), '<!doctype html><title>Kumo</title><div id="root"></div>');
    await writeFile(join(assets, 'assets', 'index-abc123.js'), 'console.log(1)');
    dash = await createDashboardServer({
      logger: createLogger({ level: 'silent' }),
      identityUrl: () => `${h.identity.url}/v3`,
      region: 'RegionOne',
      assetsDir: assets,
    });
    await dash.app.listen({ host: '127.0.0.1', port: 0 });
    url = `http://127.0.0.1:${(dash.app.server.address() as { port: number }).port}`;
    token = h.adminToken;
  });

  after(async () => {
    await dash?.close();
    await h?.close();
    if (assets) await rm(assets, { recursive: true, force: true });
  });

  it('serves the app: the page revalidated, hashed assets cached for a year, page paths answered with the app', async () => {
    const root = await fetch(`${url}/`);
    assert.equal(root.status, 200);
    assert.equal(root.headers.get('cache-control'), 'no-cache');
    assert.equal(root.headers.get('x-frame-options'), 'DENY');
    assert.match(root.headers.get('content-security-policy') ?? '', /script-src 'self';/);
    assert.match(await root.text(), /<div id="root">/);
    const page = await fetch(`${url}/project/instances/1234`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<div id="root">/);
    const js = await fetch(`${url}/assets/index-abc123.js`);
    assert.equal(js.status, 200);
    assert.equal(js.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    assert.equal((await fetch(`${url}/assets/missing-1.js`)).status, 404);
  });

  it('signs in through the proxy: the new token comes back in X-Subject-Token', async () => {
    const r = await fetch(`${url}/api/identity/v3/auth/tokens`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        auth: {
          identity: { methods: ['password'], password: { user: { name: 'admin', domain: { name: 'Default' }, password: 'wrong' } } },
        },
      }),
    });
    assert.equal(r.status, 401);
    assert.equal(((await r.json()) as { error: { code: number } }).error.code, 401);
    const t = await fetch(`${url}/api/identity/v3/auth/tokens`, { headers: { 'X-Auth-Token': token, 'X-Subject-Token': token } });
    assert.equal(t.status, 200);
    assert.equal(t.headers.get('x-subject-token'), token);
  });

  it('reaches only catalog services, and only with a valid token', async () => {
    const none = await fetch(`${url}/api/image/v2/images`);
    assert.equal(none.status, 401);
    assert.match(((await none.json()) as { error: { message: string } }).error.message, /Sign in/);
    assert.equal((await fetch(`${url}/api/image/v2/images`, { headers: { 'X-Auth-Token': 'not-a-token' } })).status, 401);
    const missing = await fetch(`${url}/api/volumev3/volumes`, { headers: { 'X-Auth-Token': token } });
    assert.equal(missing.status, 404);
    assert.match(((await missing.json()) as { error: { message: string } }).error.message, /no volumev3 service/);
    assert.equal((await fetch(`${url}/api/image/v2/images`, { headers: { 'X-Auth-Token': token } })).status, 200);
  });

  it('streams an upload through to the image service, and answers its faults as they are', async () => {
    const auth = { 'X-Auth-Token': token };
    const created = await fetch(`${url}/api/image/v2/images`, {
      method: 'POST',
      headers: { ...auth, 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'through-the-dashboard', disk_format: 'raw', container_format: 'bare' }),
    });
    assert.equal(created.status, 201);
    const id = ((await created.json()) as { id: string }).id;
    const data = randomBytes(3 * 1024 * 1024 + 17);
    const put = await fetch(`${url}/api/image/v2/images/${id}/file`, {
      method: 'PUT',
      headers: { ...auth, 'Content-Type': 'application/octet-stream' },
      body: data,
    });
    assert.equal(put.status, 204);
    const shown = (await (await fetch(`${url}/api/image/v2/images/${id}`, { headers: auth })).json()) as Record<string, unknown>;
    assert.equal(shown.status, 'active');
    assert.equal(shown.size, data.length);
    assert.equal(shown.os_hash_value, createHash('sha512').update(data).digest('hex'));
    const bad = await fetch(`${url}/api/image/v2/images/not-a-uuid`, { headers: auth });
    assert.equal(bad.status, 404);
  });
});
