import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startImage, type ImageHarness, type TestProject } from '../support/image-harness.js';

const ids = (r: { body: { images: { id: string }[] } }): string[] => r.body.images.map((i) => i.id);

describe('image API: listing and sharing', () => {
  let h: ImageHarness;
  let alice: TestProject;
  let bob: TestProject;
  const made: Record<string, string> = {};
  before(async () => {
    h = await startImage();
    alice = await h.project('alice');
    bob = await h.project('bob');
    const specs: [string, Record<string, unknown>][] = [
      ['a-raw', { name: 'a', disk_format: 'raw', container_format: 'bare', tags: ['red'], min_ram: 10 }],
      ['b-qcow', { name: 'b', disk_format: 'qcow2', container_format: 'bare', tags: ['red', 'blue'], os_distro: 'debian' }],
      ['c-iso', { name: 'c', disk_format: 'iso', container_format: 'ovf', visibility: 'private' }],
      ['d-hidden', { name: 'd', os_hidden: true }],
      ['e-shared', { name: 'e', visibility: 'shared' }],
    ];
    for (const [key, body] of specs) {
      const r = await h.request('POST', '/v2/images', { token: alice.token, body });
      assert.equal(r.status, 201, r.text);
      made[key] = r.body.id;
    }
  });
  after(() => h.close());

  it('lists newest first with first/schema links; hidden images only on request', async () => {
    const r = await h.request('GET', '/v2/images', { token: alice.token });
    assert.equal(r.status, 200);
    assert.equal(r.body.first, '/v2/images');
    assert.equal(r.body.schema, '/v2/schemas/images');
    assert.deepEqual(ids(r), [made['e-shared'], made['c-iso'], made['b-qcow'], made['a-raw']]);
    assert.deepEqual(ids(await h.request('GET', '/v2/images?os_hidden=true', { token: alice.token })), [made['d-hidden']]);
  });

  it('filters by format, tags, properties, visibility, in: and size', async () => {
    const q = async (s: string): Promise<string[]> => {
      const r = await h.request('GET', `/v2/images?${s}`, { token: alice.token });
      assert.equal(r.status, 200, r.text);
      return ids(r);
    };
    assert.deepEqual(await q('disk_format=qcow2'), [made['b-qcow']]);
    assert.deepEqual(await q('container_format=ovf'), [made['c-iso']]);
    assert.deepEqual(await q('tag=red&tag=blue'), [made['b-qcow']]);
    assert.deepEqual(await q('tag=red'), [made['b-qcow'], made['a-raw']]);
    assert.deepEqual(await q('os_distro=debian'), [made['b-qcow']]);
    assert.deepEqual(await q('visibility=private'), [made['c-iso']]);
    assert.deepEqual(await q('name=in:a,c'), [made['c-iso'], made['a-raw']]);
    assert.deepEqual(await q('status=queued&min_ram=10'), [made['a-raw']]);
    assert.deepEqual(await q('size_min=1'), []);
    assert.deepEqual(await q(`id=in:${made['a-raw']},${made['b-qcow']}`), [made['b-qcow'], made['a-raw']]);
  });

  it('sorts by sort_key/sort_dir and by sort=, and pages with marker and next', async () => {
    assert.deepEqual(ids(await h.request('GET', '/v2/images?sort_key=name&sort_dir=asc', { token: alice.token })), [
      made['a-raw'],
      made['b-qcow'],
      made['c-iso'],
      made['e-shared'],
    ]);
    assert.deepEqual(ids(await h.request('GET', '/v2/images?sort=name:desc', { token: alice.token })), [
      made['e-shared'],
      made['c-iso'],
      made['b-qcow'],
      made['a-raw'],
    ]);
    const seen: string[] = [];
    let next: string | undefined = '/v2/images?limit=2&sort_key=name&sort_dir=asc';
    let pages = 0;
    while (next && pages++ < 5) {
      const r = await h.request('GET', next, { token: alice.token });
      assert.equal(r.status, 200, r.text);
      seen.push(...ids(r));
      next = r.body.next;
    }
    assert.deepEqual(seen, [made['a-raw'], made['b-qcow'], made['c-iso'], made['e-shared']]);
    assert.equal(pages, 3, 'two full pages, then an empty one without next');
  });

  it('rejects bad list parameters with 400', async () => {
    for (const s of [
      'limit=-1',
      'limit=x',
      'sort_key=bogus',
      'sort_dir=up',
      'visibility=everyone',
      'marker=nope',
      'sort=name&sort_key=name',
      'created_at=gt:yesterday',
      'member_status=maybe',
    ]) {
      const r = await h.request('GET', `/v2/images?${s}`, { token: alice.token });
      assert.equal(r.status, 400, `${s}: ${r.text}`);
    }
  });

  it('shares an image: pending is hidden from lists, accepted is listed, rejected hidden again', async () => {
    const id = made['e-shared'] as string;
    const add = await h.request('POST', `/v2/images/${id}/members`, { token: alice.token, body: { member: bob.projectId } });
    assert.equal(add.status, 200, add.text);
    assert.equal(add.body.status, 'pending');
    assert.equal(add.body.member_id, bob.projectId);
    assert.equal(add.body.image_id, id);
    assert.equal(add.body.schema, '/v2/schemas/member');
    assert.equal(
      (await h.request('POST', `/v2/images/${id}/members`, { token: alice.token, body: { member: bob.projectId } })).status,
      409,
    );
    // A member can see the image itself at once, but lists it only once accepted.
    assert.equal((await h.request('GET', `/v2/images/${id}`, { token: bob.token })).status, 200);
    assert.ok(!ids(await h.request('GET', '/v2/images', { token: bob.token })).includes(id));
    assert.ok(ids(await h.request('GET', '/v2/images?member_status=pending&visibility=shared', { token: bob.token })).includes(id));
    // The owner cannot accept on the member's behalf.
    assert.equal(
      (await h.request('PUT', `/v2/images/${id}/members/${bob.projectId}`, { token: alice.token, body: { status: 'accepted' } })).status,
      403,
    );
    const acc = await h.request('PUT', `/v2/images/${id}/members/${bob.projectId}`, { token: bob.token, body: { status: 'accepted' } });
    assert.equal(acc.status, 200, acc.text);
    assert.ok(ids(await h.request('GET', '/v2/images', { token: bob.token })).includes(id));
    assert.equal(
      (await h.request('PUT', `/v2/images/${id}/members/${bob.projectId}`, { token: bob.token, body: { status: 'maybe' } })).status,
      400,
    );
    await h.request('PUT', `/v2/images/${id}/members/${bob.projectId}`, { token: bob.token, body: { status: 'rejected' } });
    assert.ok(!ids(await h.request('GET', '/v2/images', { token: bob.token })).includes(id));
    // Members see only themselves; the owner sees all; only the owner removes.
    assert.equal((await h.request('GET', `/v2/images/${id}/members`, { token: bob.token })).body.members.length, 1);
    assert.equal((await h.request('GET', `/v2/images/${id}/members`, { token: alice.token })).body.schema, '/v2/schemas/members');
    assert.equal((await h.request('DELETE', `/v2/images/${id}/members/${bob.projectId}`, { token: bob.token })).status, 403);
    assert.equal((await h.request('DELETE', `/v2/images/${id}/members/${bob.projectId}`, { token: alice.token })).status, 204);
    assert.equal((await h.request('GET', `/v2/images/${id}`, { token: bob.token })).status, 404);
    assert.equal((await h.request('GET', `/v2/images/${id}/members/${bob.projectId}`, { token: alice.token })).status, 404);
  });

  it('only shared images take members', async () => {
    const r = await h.request('POST', `/v2/images/${made['c-iso']}/members`, { token: alice.token, body: { member: bob.projectId } });
    assert.equal(r.status, 403);
    assert.equal((await h.request('POST', `/v2/images/${made['e-shared']}/members`, { token: alice.token, body: {} })).status, 400);
  });
});
