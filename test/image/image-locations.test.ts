import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startImage, type ImageHarness, type TestProject } from '../support/image-harness.js';

const PATCH = { 'content-type': 'application/openstack-images-v2.1-json-patch' };
const OCTET = { 'content-type': 'application/octet-stream' };

/** An http store: `/img` answers HEAD and Range; `/nohead` only a ranged GET (as some servers); others 404. */
async function startOrigin(data: Buffer): Promise<{ url: string; port: number; server: Server }> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path === '/nohead' && req.method === 'HEAD') return void res.writeHead(405).end();
    if (path !== '/img' && path !== '/nohead') return void res.writeHead(404).end();
    const m = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
    if (m) {
      const [start, end] = [Number(m[1]), Math.min(Number(m[2]), data.length - 1)];
      res.writeHead(206, { 'content-range': `bytes ${start}-${end}/${data.length}`, 'content-length': String(end - start + 1) });
      return void res.end(data.subarray(start, end + 1));
    }
    res.writeHead(200, { 'content-length': String(data.length) });
    res.end(req.method === 'HEAD' ? undefined : data);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return { url: `http://127.0.0.1:${port}`, port, server };
}

describe('image API: locations (show_multiple_locations)', () => {
  let h: ImageHarness;
  let off: ImageHarness;
  let alice: TestProject;
  let origin: Awaited<ReturnType<typeof startOrigin>>;
  const data = randomBytes(70_000);
  before(async () => {
    origin = await startOrigin(data);
    h = await startImage({ env: { KUMO_IMAGE_SHOW_MULTIPLE_LOCATIONS: 'true', KUMO_IMAGE_WEB_DOWNLOAD_DISALLOWED_HOSTS: 'localhost' } });
    off = await startImage();
    alice = await h.project('alice');
  });
  after(async () => {
    await h.close();
    await off.close();
    await new Promise((r) => origin.server.close(r));
  });

  const create = async (harness = h, token = alice.token): Promise<Record<string, unknown>> => {
    const r = await harness.request('POST', '/v2/images', { token, body: { disk_format: 'raw', container_format: 'bare' } });
    assert.equal(r.status, 201, r.text);
    return r.body;
  };
  const patch = (id: string, ops: unknown[], harness = h, token = alice.token) =>
    harness.request('PATCH', `/v2/images/${id}`, { token, headers: PATCH, body: ops });
  const show = async (id: string): Promise<Record<string, unknown>> =>
    (await h.request('GET', `/v2/images/${id}`, { token: alice.token })).body;
  const add = (id: string, value: unknown, path = '/locations/-') => patch(id, [{ op: 'add', path, value }]);
  const locs = (img: Record<string, unknown>) => img.locations as { url: string; metadata: Record<string, unknown> }[];

  it('keeps locations reserved and hidden when the option is off', async () => {
    const img = await create(off, off.adminToken);
    assert.equal('locations' in img, false);
    const value = { url: `${origin.url}/img`, metadata: {} };
    const r = await patch(img.id as string, [{ op: 'add', path: '/locations/-', value }], off, off.adminToken);
    assert.equal(r.status, 403, r.text);
  });

  it('shows the uploaded data as the one location, and direct_url as the first', async () => {
    const img = await create();
    assert.deepEqual(img.locations, []);
    const up = await h.request('PUT', `/v2/images/${img.id as string}/file`, { token: alice.token, headers: OCTET, raw: data });
    assert.equal(up.status, 204, up.text);
    const after = await show(img.id as string);
    assert.equal(locs(after).length, 1);
    assert.equal(after.direct_url, locs(after)[0]?.url);
    const listed = (await h.request('GET', '/v2/images', { token: alice.token })).body.images as Record<string, unknown>[];
    assert.equal(locs(listed.find((i) => i.id === img.id) as Record<string, unknown>).length, 1);
  });

  it('activates a queued image from an http location without hashing, and serves its data from there', async () => {
    const img = await create();
    const id = img.id as string;
    const r = await add(id, { url: `${origin.url}/img`, metadata: { foo: 'bar' } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.status, 'active');
    assert.equal(r.body.size, data.length);
    assert.equal(r.body.os_hash_value, null);
    assert.deepEqual(r.body.locations, [{ url: `${origin.url}/img`, metadata: { foo: 'bar' } }]);
    assert.equal(r.body.direct_url, `${origin.url}/img`);
    const down = await h.request('GET', `/v2/images/${id}/file`, { token: alice.token });
    assert.equal(down.status, 200);
    assert.ok(down.bytes.equals(data));
    const part = await h.request('GET', `/v2/images/${id}/file`, { token: alice.token, headers: { range: 'bytes=100-199' } });
    assert.equal(part.status, 206);
    assert.ok(part.bytes.equals(data.subarray(100, 200)));
    // A second location, at the end then at the front; the same one twice is refused.
    assert.equal((await add(id, { url: `${origin.url}/img#b`, metadata: {} })).status, 200);
    const front = await add(id, { url: `${origin.url}/nohead`, metadata: {} }, '/locations/0');
    assert.equal(front.status, 200, front.text);
    assert.deepEqual(
      locs(front.body).map((l) => l.url),
      [`${origin.url}/nohead`, `${origin.url}/img`, `${origin.url}/img#b`],
    );
    assert.equal((await add(id, { url: `${origin.url}/img`, metadata: { foo: 'bar' } })).status, 400);
  });

  it('replaces metadata only, and removes all but the last location', async () => {
    const id = (await create()).id as string;
    await add(id, { url: `${origin.url}/img`, metadata: { a: '1' } });
    const two = (await add(id, { url: `${origin.url}/img#2`, metadata: {} })).body;
    const list = locs(two);
    assert.equal((await patch(id, [{ op: 'replace', path: '/locations', value: list }])).status, 200);
    const changed = [{ ...list[0], metadata: { a: '1', date: 'x' } }, list[1]];
    assert.equal((await patch(id, [{ op: 'replace', path: '/locations', value: changed }])).status, 200);
    assert.equal((await patch(id, [{ op: 'replace', path: '/locations', value: [changed[0]] }])).status, 400);
    const other = [changed[0], { url: `${origin.url}/img#3`, metadata: {} }];
    assert.equal((await patch(id, [{ op: 'replace', path: '/locations', value: other }])).status, 400);
    assert.equal((await patch(id, [{ op: 'replace', path: '/locations', value: [] }])).status, 403);
    assert.deepEqual(locs(await show(id)), changed);
    assert.equal((await patch(id, [{ op: 'remove', path: '/locations/5' }])).status, 400);
    const one = await patch(id, [{ op: 'remove', path: '/locations/0' }]);
    assert.equal(one.status, 200, one.text);
    assert.deepEqual(locs(one.body), [changed[1]]);
    assert.equal(one.body.direct_url, changed[1]?.url);
    assert.equal((await patch(id, [{ op: 'remove', path: '/locations/0' }])).status, 403);
  });

  it('sets the locations of a queued image by replace', async () => {
    const id = (await create()).id as string;
    const r = await patch(id, [{ op: 'replace', path: '/locations', value: [{ url: `${origin.url}/img`, metadata: {} }] }]);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.status, 'active');
  });

  it('refuses locations Kumo must not fetch: other schemes, host files, filtered hosts, missing data', async () => {
    const id = (await create()).id as string;
    for (const url of [
      'gopher://info.cern.ch',
      'file:///etc/passwd',
      `http://localhost:${origin.port}/img`,
      `${origin.url}/missing`,
      'nonsense',
    ]) {
      const r = await add(id, { url, metadata: {} });
      assert.equal(r.status, 400, `${url}: ${r.text}`);
    }
    assert.equal((await add(id, { url: `${origin.url}/img` })).status, 400, 'metadata is required');
    assert.equal((await patch(id, [{ op: 'add', path: '/locations/x', value: {} }])).status, 400);
    assert.equal((await patch(id, [{ op: 'add', path: '/name/x', value: 'n' }])).status, 400);
    assert.equal((await show(id)).status, 'queued');
  });

  it('lets the owner drop Kumo’s own copy once an http location holds the data', async () => {
    const id = (await create()).id as string;
    await h.request('PUT', `/v2/images/${id}/file`, { token: alice.token, headers: OCTET, raw: data });
    const own = locs(await show(id))[0]?.url ?? '';
    assert.ok(existsSync(fileURLToPath(own)));
    assert.equal((await add(id, { url: `${origin.url}/img`, metadata: {} })).status, 200);
    const r = await patch(id, [{ op: 'remove', path: '/locations/0' }]);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body.locations, [{ url: `${origin.url}/img`, metadata: {} }]);
    const down = await h.request('GET', `/v2/images/${id}/file`, { token: alice.token });
    assert.equal(down.status, 200, down.text);
    assert.ok(down.bytes.equals(data), `${down.bytes.length} bytes`);
    assert.equal(existsSync(fileURLToPath(own)), false, 'the removed copy is deleted');
  });

  it('copies validation_data onto a queued image and refuses any mismatch after', async () => {
    const id = (await create()).id as string;
    const v = { checksum: '1'.repeat(32), os_hash_algo: 'sha512', os_hash_value: 'deadbeef'.repeat(16) };
    const r = await add(id, { url: `${origin.url}/img`, metadata: {}, validation_data: v });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.checksum, v.checksum);
    assert.equal(r.body.os_hash_value, v.os_hash_value);
    assert.equal('validation_data' in (locs(r.body)[0] ?? {}), false);
    assert.equal((await add(id, { url: `${origin.url}/img#2`, metadata: {}, validation_data: v })).status, 200);
    for (const [k, bad] of Object.entries({ checksum: '2'.repeat(32), os_hash_value: 'beefdead'.repeat(16), os_hash_algo: 'sha256' })) {
      const res = await add(id, { url: `${origin.url}/img#3`, metadata: {}, validation_data: { ...v, [k]: bad } });
      assert.equal(res.status, 409, `${k}: ${res.text}`);
    }
    const after = await show(id);
    assert.equal(locs(after).length, 2);
    assert.equal(after.checksum, v.checksum);
    // New hashes must be a well-formed sha512 on a queued image.
    const q = (await create()).id as string;
    const weak = await add(q, { url: `${origin.url}/img`, metadata: {}, validation_data: { os_hash_algo: 'md5', os_hash_value: 'ab' } });
    assert.equal(weak.status, 409, weak.text);
  });
});
