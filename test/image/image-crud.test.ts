import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startImage, type ImageHarness, type TestProject } from '../support/image-harness.js';

const PATCH = { 'content-type': 'application/openstack-images-v2.1-json-patch' };

describe('image API: create, show, list, update, delete', () => {
  let h: ImageHarness;
  let alice: TestProject;
  let bob: TestProject;
  before(async () => {
    h = await startImage();
    alice = await h.project('alice');
    bob = await h.project('bob');
  });
  after(() => h.close());

  it('creates a queued image with Glance defaults and shows it', async () => {
    const r = await h.request('POST', '/v2/images', {
      token: alice.token,
      body: { name: 'cirros', disk_format: 'qcow2', container_format: 'bare', tags: ['a', 'a', 'b'], os_distro: 'cirros' },
    });
    assert.equal(r.status, 201);
    assert.equal(r.headers.get('openstack-image-import-methods'), 'glance-direct,web-download');
    const img = r.body;
    assert.match(img.id, /^[0-9a-f-]{36}$/);
    assert.equal(img.status, 'queued');
    assert.equal(img.visibility, 'shared');
    assert.equal(img.owner, alice.projectId);
    assert.deepEqual(img.tags, ['a', 'b']);
    assert.equal(img.os_distro, 'cirros');
    assert.equal(img.size, null);
    assert.equal(img.checksum, null);
    assert.equal(img.protected, false);
    assert.equal(img.self, `/v2/images/${img.id}`);
    assert.equal(img.file, `/v2/images/${img.id}/file`);
    assert.equal(img.schema, '/v2/schemas/image');
    assert.match(img.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const show = await h.request('GET', `/v2/images/${img.id}`, { token: alice.token });
    assert.equal(show.status, 200);
    assert.deepEqual(show.body, img);
  });

  it('rejects bad formats, read-only and reserved attributes, non-string properties', async () => {
    const cases: [Record<string, unknown>, number][] = [
      [{ disk_format: 'qcow3' }, 400],
      [{ container_format: 'box' }, 400],
      [{ visibility: 'everyone' }, 400],
      [{ min_ram: -1 }, 400],
      [{ name: 'x'.repeat(256) }, 400],
      [{ foo: 1 }, 400],
      [{ id: 'not-a-uuid' }, 400],
      [{ status: 'active' }, 403],
      [{ size: 1 }, 403],
      [{ checksum: 'x' }, 403],
      [{ deleted: true }, 403],
      [{ locations: [] }, 403],
      [{ os_glance_importing_to_stores: 'x' }, 403],
      [{ visibility: 'public' }, 403],
      [{ owner: bob.projectId }, 403],
    ];
    for (const [body, status] of cases) {
      const r = await h.request('POST', '/v2/images', { token: alice.token, body });
      assert.equal(r.status, status, JSON.stringify(body) + ' ' + r.text);
      assert.equal(r.body.code, status);
      assert.equal(typeof r.body.message, 'string');
    }
  });

  it('creates with a given id once; the id of a deleted image is never reused', async () => {
    const id = '11111111-2222-3333-4444-555555555555';
    assert.equal((await h.request('POST', '/v2/images', { token: alice.token, body: { id } })).status, 201);
    assert.equal((await h.request('POST', '/v2/images', { token: alice.token, body: { id } })).status, 409);
    assert.equal((await h.request('DELETE', `/v2/images/${id}`, { token: alice.token })).status, 204);
    assert.equal((await h.request('GET', `/v2/images/${id}`, { token: alice.token })).status, 404);
    assert.equal((await h.request('DELETE', `/v2/images/${id}`, { token: alice.token })).status, 404);
    assert.equal((await h.request('POST', '/v2/images', { token: alice.token, body: { id } })).status, 409);
  });

  it('private images are invisible to other projects; admin sees everything', async () => {
    const img = (await h.request('POST', '/v2/images', { token: alice.token, body: { name: 'secret', visibility: 'private' } })).body;
    assert.equal((await h.request('GET', `/v2/images/${img.id}`, { token: bob.token })).status, 404);
    assert.equal((await h.request('DELETE', `/v2/images/${img.id}`, { token: bob.token })).status, 404);
    const bobList = await h.request('GET', '/v2/images', { token: bob.token });
    assert.ok(!bobList.body.images.some((i: { id: string }) => i.id === img.id));
    assert.equal((await h.request('GET', `/v2/images/${img.id}`)).status, 200);
    const adminList = await h.request('GET', '/v2/images?limit=1000');
    assert.equal(adminList.status, 200, adminList.text);
    assert.ok(adminList.body.images.some((i: { id: string }) => i.id === img.id));
  });

  it('public images are visible to all and changeable only by their owner (admin)', async () => {
    const img = (await h.request('POST', '/v2/images', { body: { name: 'pub', visibility: 'public' } })).body;
    assert.equal((await h.request('GET', `/v2/images/${img.id}`, { token: bob.token })).status, 200);
    const patch = await h.request('PATCH', `/v2/images/${img.id}`, {
      token: bob.token,
      headers: PATCH,
      raw: JSON.stringify([{ op: 'replace', path: '/name', value: 'mine' }]),
    });
    assert.equal(patch.status, 403);
    assert.equal((await h.request('DELETE', `/v2/images/${img.id}`, { token: bob.token })).status, 403);
  });

  it('community images: listed with visibility=community, shown to anyone', async () => {
    const img = (await h.request('POST', '/v2/images', { token: alice.token, body: { name: 'comm', visibility: 'community' } })).body;
    assert.equal((await h.request('GET', `/v2/images/${img.id}`, { token: bob.token })).status, 200);
    const dflt = await h.request('GET', '/v2/images', { token: bob.token });
    assert.ok(!dflt.body.images.some((i: { id: string }) => i.id === img.id));
    const comm = await h.request('GET', '/v2/images?visibility=community', { token: bob.token });
    assert.ok(comm.body.images.some((i: { id: string }) => i.id === img.id));
  });

  it('updates with JSON patch (v2.1 and v2.0): replace, add, remove properties', async () => {
    const img = (await h.request('POST', '/v2/images', { token: alice.token, body: { name: 'p', disk_format: 'raw' } })).body;
    const r = await h.request('PATCH', `/v2/images/${img.id}`, {
      token: alice.token,
      headers: PATCH,
      raw: JSON.stringify([
        { op: 'replace', path: '/name', value: 'renamed' },
        { op: 'add', path: '/hw_disk_bus', value: 'virtio' },
        { op: 'add', path: '/a~1b', value: 'slash' },
        { op: 'replace', path: '/min_ram', value: 512 },
        { op: 'add', path: '/tags', value: ['x'] },
      ]),
    });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.name, 'renamed');
    assert.equal(r.body.hw_disk_bus, 'virtio');
    assert.equal(r.body['a/b'], 'slash');
    assert.equal(r.body.min_ram, 512);
    assert.deepEqual(r.body.tags, ['x']);
    const v20 = await h.request('PATCH', `/v2/images/${img.id}`, {
      token: alice.token,
      headers: { 'content-type': 'application/openstack-images-v2.0-json-patch' },
      raw: JSON.stringify([{ remove: '/hw_disk_bus' }]),
    });
    assert.equal(v20.status, 200, v20.text);
    assert.equal(v20.body.hw_disk_bus, undefined);
    const bad: [unknown, string, number][] = [
      [[{ op: 'remove', path: '/nope' }], PATCH['content-type'], 409],
      [[{ op: 'replace', path: '/nope', value: 'x' }], PATCH['content-type'], 409],
      [[{ op: 'remove', path: '/name' }], PATCH['content-type'], 403],
      [[{ op: 'replace', path: '/status', value: 'active' }], PATCH['content-type'], 403],
      [[{ op: 'move', path: '/name', from: '/x' }], PATCH['content-type'], 400],
      [[{ op: 'replace', path: '/a/b', value: 'x' }], PATCH['content-type'], 400],
      [[{ op: 'replace', path: '/name' }], PATCH['content-type'], 400],
      [{ op: 'replace' }, PATCH['content-type'], 400],
      [[{ op: 'replace', path: '/name', value: 'x' }], 'application/json', 415],
      [[{ op: 'replace', path: '/visibility', value: 'public' }], PATCH['content-type'], 403],
    ];
    for (const [body, type, status] of bad) {
      const res = await h.request('PATCH', `/v2/images/${img.id}`, {
        token: alice.token,
        headers: { 'content-type': type },
        raw: JSON.stringify(body),
      });
      assert.equal(res.status, status, `${JSON.stringify(body)} → ${res.text}`);
    }
  });

  it('protected images cannot be deleted until unprotected', async () => {
    const img = (await h.request('POST', '/v2/images', { token: alice.token, body: { protected: true } })).body;
    assert.equal((await h.request('DELETE', `/v2/images/${img.id}`, { token: alice.token })).status, 403);
    const r = await h.request('PATCH', `/v2/images/${img.id}`, {
      token: alice.token,
      headers: PATCH,
      raw: JSON.stringify([{ op: 'replace', path: '/protected', value: false }]),
    });
    assert.equal(r.status, 200);
    assert.equal((await h.request('DELETE', `/v2/images/${img.id}`, { token: alice.token })).status, 204);
  });

  it('tags: add is idempotent, delete of a missing tag is 404', async () => {
    const img = (await h.request('POST', '/v2/images', { token: alice.token, body: {} })).body;
    assert.equal((await h.request('PUT', `/v2/images/${img.id}/tags/t1`, { token: alice.token })).status, 204);
    assert.equal((await h.request('PUT', `/v2/images/${img.id}/tags/t1`, { token: alice.token })).status, 204);
    assert.deepEqual((await h.request('GET', `/v2/images/${img.id}`, { token: alice.token })).body.tags, ['t1']);
    assert.equal((await h.request('DELETE', `/v2/images/${img.id}/tags/t1`, { token: alice.token })).status, 204);
    assert.equal((await h.request('DELETE', `/v2/images/${img.id}/tags/t1`, { token: alice.token })).status, 404);
    assert.equal((await h.request('PUT', `/v2/images/${img.id}/tags/t1`, { token: bob.token })).status, 404);
  });

  it('serves the versions document and the schemas', async () => {
    const root = await h.request('GET', '/', { token: null });
    assert.equal(root.status, 300);
    assert.equal(root.body.versions[0].id, 'v2.16');
    assert.equal(root.body.versions[0].status, 'CURRENT');
    for (const name of ['image', 'images', 'member', 'members']) {
      const s = await h.request('GET', `/v2/schemas/${name}`);
      assert.equal(s.status, 200);
      assert.equal(s.body.name, name);
    }
  });
});
