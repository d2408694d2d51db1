/**
 * The image API's storage, run on every database backend: the same requests
 * give the same answers on SQLite, MariaDB and PostgreSQL (lists with
 * filters, sorting and paging; sharing; sizes past 2^32; status
 * compare-and-set; quotas' sums).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { databaseBackends, type Backend } from '../support/db-backends.js';
import { startImage, type ImageHarness, type TestProject } from '../support/image-harness.js';

const backends = await databaseBackends();
after(() => Promise.all(backends.map((b) => b.cleanup())));

const OCTET = { 'content-type': 'application/octet-stream' };
const PATCH = { 'content-type': 'application/openstack-images-v2.1-json-patch' };

function imageContract(backend: Backend): void {
  describe(`image API on ${backend.name}`, { skip: backend.skip ?? false }, () => {
    let h: ImageHarness;
    let alice: TestProject;
    let bob: TestProject;
    before(async () => {
      h = await startImage({ databaseUrl: await backend.create(), env: { KUMO_IMAGE_QUOTA_IMAGE_SIZE_TOTAL: '100000' } });
      alice = await h.project('alice');
      bob = await h.project('bob');
    });
    after(() => h?.close());

    it('lists with filters, sorting, paging and property filters', async () => {
      const ids: string[] = [];
      for (const [name, size] of [
        ['Ünïcode-名前', 3],
        ['beta', 1],
        ['alpha', 2],
      ] as const) {
        const r = await h.request('POST', '/v2/images', {
          token: alice.token,
          body: { name, disk_format: 'raw', container_format: 'bare', tags: ['t'], os_distro: name },
        });
        assert.equal(r.status, 201, r.text);
        const up = await h.request('PUT', `/v2/images/${r.body.id}/file`, {
          token: alice.token,
          headers: OCTET,
          raw: randomBytes(size * 100),
        });
        assert.equal(up.status, 204, up.text);
        ids.push(r.body.id);
      }
      const names = async (q: string): Promise<string[]> => {
        const r = await h.request('GET', `/v2/images?${q}`, { token: alice.token });
        assert.equal(r.status, 200, r.text);
        return r.body.images.map((i: { name: string }) => i.name);
      };
      assert.deepEqual(await names('sort_key=name&sort_dir=asc'), ['alpha', 'beta', 'Ünïcode-名前']);
      assert.deepEqual(await names('sort=size:desc'), ['Ünïcode-名前', 'alpha', 'beta']);
      assert.deepEqual(await names('size_min=150&size_max=250'), ['alpha']);
      assert.deepEqual(await names(`os_distro=${encodeURIComponent('Ünïcode-名前')}`), ['Ünïcode-名前']);
      assert.deepEqual(await names('tag=t&status=active&sort_key=name&sort_dir=desc&limit=2'), ['Ünïcode-名前', 'beta']);
      const page = await h.request('GET', '/v2/images?sort_key=name&sort_dir=asc&limit=2', { token: alice.token });
      assert.ok(page.body.next);
      const rest = await h.request('GET', page.body.next, { token: alice.token });
      assert.deepEqual(
        rest.body.images.map((i: { name: string }) => i.name),
        ['Ünïcode-名前'],
      );
      assert.deepEqual(await names('name=in:alpha,beta&sort_key=name&sort_dir=asc'), ['alpha', 'beta']);
    });

    it('shares, hides and deletes the same way', async () => {
      const r = await h.request('POST', '/v2/images', { token: alice.token, body: { name: 'shared-one' } });
      const id = r.body.id as string;
      assert.equal(
        (await h.request('POST', `/v2/images/${id}/members`, { token: alice.token, body: { member: bob.projectId } })).status,
        200,
      );
      assert.equal(
        (await h.request('POST', `/v2/images/${id}/members`, { token: alice.token, body: { member: bob.projectId } })).status,
        409,
      );
      await h.request('PUT', `/v2/images/${id}/members/${bob.projectId}`, { token: bob.token, body: { status: 'accepted' } });
      const bobs = await h.request('GET', '/v2/images?visibility=shared', { token: bob.token });
      assert.deepEqual(
        bobs.body.images.map((i: { id: string }) => i.id),
        [id],
      );
      const hide = await h.request('PATCH', `/v2/images/${id}`, {
        token: alice.token,
        headers: PATCH,
        raw: JSON.stringify([{ op: 'replace', path: '/os_hidden', value: true }]),
      });
      assert.equal(hide.status, 200, hide.text);
      assert.equal((await h.request('GET', '/v2/images?visibility=shared', { token: bob.token })).body.images.length, 0);
      assert.equal((await h.request('DELETE', `/v2/images/${id}`, { token: alice.token })).status, 204);
      assert.equal((await h.request('GET', `/v2/images/${id}`, { token: bob.token })).status, 404);
    });

    it('sums sizes for quotas and reports usage', async () => {
      const usage = await h.request('GET', '/v2/info/usage', { token: alice.token });
      assert.equal(usage.status, 200);
      assert.equal(usage.body.usage.image_size_total.usage, 600);
      const r = await h.request('POST', '/v2/images', { token: alice.token, body: { disk_format: 'raw', container_format: 'bare' } });
      const over = await h.request('PUT', `/v2/images/${r.body.id}/file`, {
        token: alice.token,
        headers: OCTET,
        raw: randomBytes(100_000),
      });
      assert.equal(over.status, 413, over.text);
      assert.equal((await h.request('GET', `/v2/images/${r.body.id}`, { token: alice.token })).body.status, 'queued');
    });
  });
}

for (const b of backends) imageContract(b);
