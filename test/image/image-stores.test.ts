import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { startImage, type ImageHarness, type TestProject } from '../support/image-harness.js';

const OCTET = { 'content-type': 'application/octet-stream' };

describe('image API: multiple stores', () => {
  let h: ImageHarness;
  let alice: TestProject;
  before(async () => {
    h = await startImage({ env: { KUMO_IMAGE_STORES: 'fast:file,slow:file', KUMO_IMAGE_DEFAULT_STORE: 'slow' } });
    alice = await h.project('alice');
  });
  after(() => h.close());

  const create = async (): Promise<string> => {
    const r = await h.request('POST', '/v2/images', { token: alice.token, body: { disk_format: 'raw', container_format: 'bare' } });
    assert.equal(r.status, 201, r.text);
    return r.body.id as string;
  };
  const show = async (id: string): Promise<Record<string, unknown>> =>
    (await h.request('GET', `/v2/images/${id}`, { token: alice.token })).body;
  const until = async (id: string, done: (i: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> => {
    for (let n = 0; n < 100; n++) {
      const i = await show(id);
      if (done(i)) return i;
      await sleep(50);
    }
    throw new Error(`image ${id} never got there: ${JSON.stringify(await show(id))}`);
  };
  const file = (store: string, id: string): string => `${h.dataDir}/images/${store}/${id}`;

  it('lists the stores with the default one, and copy-image among import methods', async () => {
    const r = await h.request('GET', '/v2/info/stores', { token: alice.token });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.stores, [
      { id: 'fast', description: 'Filesystem store fast' },
      { id: 'slow', description: 'Filesystem store slow', default: true },
    ]);
    const m = await h.request('GET', '/v2/info/import', { token: alice.token });
    assert.deepEqual(m.body['import-methods'].value, ['glance-direct', 'web-download', 'copy-image']);
  });

  it('uploads to the default store or the one named by X-Image-Meta-Store; 400 for an unknown store', async () => {
    const a = await create();
    assert.equal(
      (await h.request('PUT', `/v2/images/${a}/file`, { token: alice.token, headers: OCTET, raw: randomBytes(100) })).status,
      204,
    );
    assert.equal((await show(a)).stores, 'slow');
    assert.ok(existsSync(file('slow', a)) && !existsSync(file('fast', a)));
    const b = await create();
    const headers = { ...OCTET, 'x-image-meta-store': 'fast' };
    assert.equal((await h.request('PUT', `/v2/images/${b}/file`, { token: alice.token, headers, raw: randomBytes(100) })).status, 204);
    assert.equal((await show(b)).stores, 'fast');
    const c = await create();
    const bad = await h.request('PUT', `/v2/images/${c}/file`, {
      token: alice.token,
      headers: { ...OCTET, 'x-image-meta-store': 'nope' },
      raw: randomBytes(10),
    });
    assert.equal(bad.status, 400);
    assert.equal((await show(c)).status, 'queued');
    assert.equal((await show(c)).stores, undefined);
  });

  it('imports staged data to all stores, reads from either, and deletes every copy', async () => {
    const id = await create();
    const data = randomBytes(5000);
    assert.equal((await h.request('PUT', `/v2/images/${id}/stage`, { token: alice.token, headers: OCTET, raw: data })).status, 204);
    const r = await h.request('POST', `/v2/images/${id}/import`, {
      token: alice.token,
      body: { method: { name: 'glance-direct' }, all_stores: true },
    });
    assert.equal(r.status, 202, r.text);
    const img = await until(id, (i) => i.status === 'active' && i.stores === 'fast,slow');
    assert.equal(img.os_glance_importing_to_stores, '');
    assert.equal(img.os_glance_failed_import, '');
    // Data still readable with one copy gone.
    await import('node:fs/promises').then((fs) => fs.rm(file('fast', id)));
    const down = await h.request('GET', `/v2/images/${id}/file`, { token: alice.token });
    assert.ok(down.bytes.equals(data));
    assert.equal((await h.request('DELETE', `/v2/images/${id}`, { token: alice.token })).status, 204);
    assert.ok(!existsSync(file('slow', id)));
  });

  it('reports a failed web-download in os_glance_failed_import and keeps the image queued', async () => {
    const id = await create();
    const body = { method: { name: 'web-download', uri: 'http://does-not.exist/no/way' }, stores: ['fast'] };
    assert.equal((await h.request('POST', `/v2/images/${id}/import`, { token: alice.token, body })).status, 202);
    const img = await until(id, (i) => Boolean(i.os_glance_failed_import));
    assert.equal(img.os_glance_failed_import, 'fast');
    assert.equal(img.status, 'queued');
    const unknown = await h.request('POST', `/v2/images/${id}/import`, { token: alice.token, body: { ...body, stores: ['nope'] } });
    assert.equal(unknown.status, 400);
  });

  it('copies an active image into the other stores with copy-image; users cannot set os_glance_* properties', async () => {
    const id = await create();
    const data = randomBytes(3000);
    await h.request('PUT', `/v2/images/${id}/file`, { token: alice.token, headers: OCTET, raw: data });
    const body = { method: { name: 'copy-image' }, all_stores: true, all_stores_must_succeed: false };
    assert.equal((await h.request('POST', `/v2/images/${id}/import`, { token: h.adminToken, body })).status, 202);
    const img = await until(id, (i) => i.os_glance_importing_to_stores === '');
    assert.equal(img.stores, 'fast,slow');
    assert.equal(img.os_glance_failed_import, '');
    assert.ok(existsSync(file('fast', id)));
    const patch = await h.request('PATCH', `/v2/images/${id}`, {
      token: alice.token,
      headers: { 'content-type': 'application/openstack-images-v2.1-json-patch' },
      body: [{ op: 'replace', path: '/os_glance_failed_import', value: 'x' }],
    });
    assert.equal(patch.status, 403);
    const queued = await create();
    assert.equal((await h.request('POST', `/v2/images/${queued}/import`, { token: h.adminToken, body })).status, 409);
  });
});

describe('image API: cache management (2.14)', () => {
  let h: ImageHarness;
  let alice: TestProject;
  before(async () => {
    h = await startImage({ env: { KUMO_IMAGE_CACHE_ENABLED: 'true', KUMO_IMAGE_CACHE_PREFETCHER_INTERVAL: '1' } });
    alice = await h.project('alice');
  });
  after(() => h.close());

  it('queues, prefetches, lists and clears; admin only; bad target 400', async () => {
    const admin = h.adminToken;
    assert.equal((await h.request('GET', '/v2/cache', { token: alice.token })).status, 403);
    assert.equal((await h.request('PUT', `/v2/cache/${randomUUID()}`, { token: admin })).status, 404);
    const create = await h.request('POST', '/v2/images', { token: alice.token, body: { disk_format: 'raw', container_format: 'bare' } });
    const id = create.body.id as string;
    assert.equal((await h.request('PUT', `/v2/cache/${id}`, { token: admin })).status, 400);
    await h.request('PUT', `/v2/images/${id}/file`, { token: alice.token, headers: OCTET, raw: randomBytes(700) });
    assert.equal((await h.request('PUT', `/v2/cache/${id}`, { token: admin })).status, 202);
    assert.deepEqual((await h.request('GET', '/v2/cache', { token: admin })).body.queued_images, [id]);
    let list: Record<string, unknown[]> = {};
    for (let n = 0; n < 60; n++) {
      list = (await h.request('GET', '/v2/cache', { token: admin })).body;
      if (list.cached_images?.length) break;
      await sleep(100);
    }
    assert.deepEqual(list.queued_images, []);
    assert.equal((list.cached_images?.[0] as { image_id: string; size: number }).image_id, id);
    assert.equal((list.cached_images?.[0] as { size: number }).size, 700);
    assert.ok(existsSync(`${h.dataDir}/images/cache/${id}`));
    // Downloads now come from the cache: each one is a hit.
    const down = await h.request('GET', `/v2/images/${id}/file`, { token: alice.token });
    assert.equal(down.status, 200);
    assert.equal(down.bytes.length, 700);
    const hits = (await h.request('GET', '/v2/cache', { token: admin })).body.cached_images[0].hits;
    assert.equal(hits, 1);
    assert.equal(
      (await h.request('DELETE', '/v2/cache', { token: admin, headers: { 'x-image-cache-clear-target': 'invalid' } })).status,
      400,
    );
    assert.equal((await h.request('DELETE', '/v2/cache', { token: admin })).status, 204);
    assert.deepEqual((await h.request('GET', '/v2/cache', { token: admin })).body, { cached_images: [], queued_images: [] });
    assert.ok(!existsSync(`${h.dataDir}/images/cache/${id}`));
  });
});
