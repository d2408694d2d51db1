/** Nova's image proxy (/images, 2.1–2.35; metadata to 2.38) over the real in-process image service. */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startCloudHarness, type CloudHarness, type CloudProject } from '../support/compute-harness.js';

let h: CloudHarness;
let alice: CloudProject;
let bob: CloudProject;
const ids: Record<string, string> = {};

async function glanceImage(token: string, body: Record<string, unknown>, data?: Buffer): Promise<string> {
  const r = await h.request('image', 'POST', '/v2/images', { token, body: { disk_format: 'raw', container_format: 'bare', ...body } });
  assert.equal(r.status, 201, r.text);
  if (data) {
    const up = await fetch(`${h.urls.image}/v2/images/${r.body.id}/file`, {
      method: 'PUT',
      headers: { 'x-auth-token': token, 'content-type': 'application/octet-stream' },
      body: data,
    });
    assert.equal(up.status, 204, await up.text());
  }
  return r.body.id as string;
}

/** Compute's service session needs identity's port before the cloud starts (as servers-cloud.test.ts). */
async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

before(async () => {
  h = await startCloudHarness({ agent: false, env: { KUMO_IDENTITY_PORT: String(await freePort()) } });
  alice = await h.project('alice');
  bob = await h.project('bob');
  ids.active = await glanceImage(
    alice.token,
    { name: 'snap-a', image_type: 'snapshot', instance_uuid: 'srv-1', min_ram: 64 },
    Buffer.alloc(1024),
  );
  ids.queued = await glanceImage(alice.token, { name: 'queued-b', auto_disk_config: 'true' });
  ids.bobs = await glanceImage(bob.token, { name: 'bobs' });
});
after(() => h?.close());

const nova = (token: string, method: string, path: string, body?: unknown, microversion?: string) =>
  h.request('compute', method, path, { token, body, microversion });

describe('image proxy', () => {
  it('lists what the caller sees, in Nova shape, with filters and paging', async () => {
    const all = await nova(alice.token, 'GET', '/images');
    assert.equal(all.status, 200, all.text);
    const names = (all.body.images as { name: string }[]).map((i) => i.name);
    assert.ok(names.includes('snap-a') && names.includes('queued-b'));
    assert.ok(!names.includes('bobs'), 'another project’s private image is not listed');
    const one = all.body.images.find((i: { id: string }) => i.id === ids.active);
    assert.deepEqual(Object.keys(one).sort(), ['id', 'links', 'name']);
    assert.deepEqual(
      one.links.map((l: { rel: string }) => l.rel),
      ['self', 'bookmark', 'alternate'],
    );

    const byType = await nova(alice.token, 'GET', '/images/detail?type=snapshot');
    assert.deepEqual(
      byType.body.images.map((i: { id: string }) => i.id),
      [ids.active],
    );
    const byServer = await nova(alice.token, 'GET', `/images?server=${encodeURIComponent('http://x/v2.1/servers/srv-1')}`);
    assert.deepEqual(
      byServer.body.images.map((i: { id: string }) => i.id),
      [ids.active],
    );
    // Nova passes the status on to Glance lower-cased: ACTIVE is Glance's active (SAVING would be saving, not queued).
    const active = await nova(alice.token, 'GET', '/images/detail?status=ACTIVE');
    assert.ok(active.body.images.every((i: { status: string }) => i.status === 'ACTIVE'));
    assert.ok(active.body.images.some((i: { id: string }) => i.id === ids.active));
    assert.ok(!active.body.images.some((i: { id: string }) => i.id === ids.queued));
    const minRam = await nova(alice.token, 'GET', '/images?minRam=64');
    assert.equal(minRam.status, 200, minRam.text);
    assert.ok(
      minRam.body.images.some((i: { id: string }) => i.id === ids.active),
      minRam.text,
    );
    assert.ok(!minRam.body.images.some((i: { id: string }) => i.id === ids.queued));

    const page = await nova(alice.token, 'GET', '/images?limit=1');
    assert.equal(page.body.images.length, 1);
    const next = new URL(page.body.images_links[0].href);
    assert.equal(next.searchParams.get('marker'), page.body.images[0].id);
    const rest = await nova(alice.token, 'GET', `/images?limit=1&marker=${page.body.images[0].id}`);
    assert.notEqual(rest.body.images[0].id, page.body.images[0].id);
    assert.equal((await nova(alice.token, 'GET', '/images?marker=nope')).status, 400);
    assert.equal((await nova(alice.token, 'GET', '/images?minDisk=x')).status, 400);
  });

  it('shows one image with Nova status, progress, server and disk config', async () => {
    const a = await nova(alice.token, 'GET', `/images/${ids.active}`);
    assert.equal(a.status, 200, a.text);
    assert.equal(a.body.image.status, 'ACTIVE');
    assert.equal(a.body.image.progress, 100);
    assert.equal(a.body.image.minRam, 64);
    assert.equal(a.body.image['OS-EXT-IMG-SIZE:size'], 1024);
    assert.equal(a.body.image.server.id, 'srv-1');
    assert.equal(a.body.image.metadata.image_type, 'snapshot');
    assert.match(a.body.image.created, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const q = await nova(alice.token, 'GET', `/images/${ids.queued}`);
    assert.equal(q.body.image.status, 'SAVING');
    assert.equal(q.body.image.progress, 25);
    assert.equal(q.body.image['OS-DCF:diskConfig'], 'AUTO');
    assert.equal((await nova(alice.token, 'GET', `/images/${ids.bobs}`)).status, 404);
    assert.equal((await nova(alice.token, 'GET', '/images/not-an-image')).status, 404);
  });

  it('reads and writes image metadata as Glance properties', async () => {
    const id = ids.queued;
    const set = await nova(alice.token, 'POST', `/images/${id}/metadata`, { metadata: { os_version: '1', color: 'red' } });
    assert.equal(set.status, 200, set.text);
    assert.equal(set.body.metadata.color, 'red');
    assert.equal(set.body.metadata.auto_disk_config, 'true', 'merged, not replaced');
    const item = await nova(alice.token, 'PUT', `/images/${id}/metadata/color`, { meta: { color: 'blue' } });
    assert.deepEqual(item.body, { meta: { color: 'blue' } });
    assert.equal((await nova(alice.token, 'PUT', `/images/${id}/metadata/color`, { meta: { other: 'x' } })).status, 400);
    assert.deepEqual((await nova(alice.token, 'GET', `/images/${id}/metadata/color`)).body, { meta: { color: 'blue' } });
    assert.equal((await nova(alice.token, 'DELETE', `/images/${id}/metadata/color`)).status, 204);
    assert.equal((await nova(alice.token, 'GET', `/images/${id}/metadata/color`)).status, 404);
    assert.equal((await nova(alice.token, 'DELETE', `/images/${id}/metadata/color`)).status, 404);
    const replaced = await nova(alice.token, 'PUT', `/images/${id}/metadata`, { metadata: { only: 'this' } });
    assert.deepEqual(replaced.body, { metadata: { only: 'this' } });
    assert.deepEqual((await nova(alice.token, 'GET', `/images/${id}/metadata`)).body, { metadata: { only: 'this' } });
    assert.equal((await nova(alice.token, 'GET', `/images/${ids.bobs}/metadata`)).status, 404);
    assert.equal((await nova(alice.token, 'POST', `/images/${id}/metadata`, { metadata: { 'bad/key': 'x' } })).status, 400);
  });

  it('deletes images and answers 404 once gone or after microversion 2.35', async () => {
    assert.equal((await nova(alice.token, 'GET', '/images', undefined, '2.36')).status, 404);
    assert.equal((await nova(alice.token, 'GET', `/images/${ids.queued}/metadata`, undefined, '2.38')).status, 200);
    assert.equal((await nova(alice.token, 'GET', `/images/${ids.queued}/metadata`, undefined, '2.39')).status, 404);
    assert.equal((await nova(alice.token, 'DELETE', `/images/${ids.bobs}`)).status, 404);
    assert.equal((await nova(alice.token, 'DELETE', `/images/${ids.queued}`)).status, 204);
    assert.equal((await nova(alice.token, 'DELETE', `/images/${ids.queued}`)).status, 404);
    assert.equal((await nova(alice.token, 'GET', `/images/${ids.queued}`)).status, 404);
  });
});
