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

  it("Nova's security group proxy and a server's groups go to the network service as the user; ip filters match ports' addresses", async () => {
    const p = await h.project('sg-proxy');
    const other = await h.project('sg-other');
    const net = await h.request('network', 'POST', '/v2.0/networks', { token: p.token, body: { network: { name: 'n1' } } });
    assert.equal(net.status, 201, net.text);
    const sub = await h.request('network', 'POST', '/v2.0/subnets', {
      token: p.token,
      body: { subnet: { network_id: net.body.network.id, ip_version: 4, cidr: '10.31.0.0/24' } },
    });
    assert.equal(sub.status, 201, sub.text);
    const nova = (method: string, path: string, body?: unknown, token = p.token) =>
      h.request('compute', method, path, { token, body, microversion: '2.35' });
    const made = await nova('POST', '/os-security-groups', { security_group: { name: 'web', description: 'http' } });
    assert.equal(made.status, 200, made.text);
    const gid = made.body.security_group.id;
    assert.deepEqual(made.body.security_group.rules, []);
    assert.equal((await nova('POST', '/os-security-groups', { security_group: { name: 'x' } })).status, 400);
    const rule = await nova('POST', '/os-security-group-rules', {
      security_group_rule: { parent_group_id: gid, ip_protocol: 'tcp', from_port: 80, to_port: 80, cidr: '198.51.100.0/24' },
    });
    assert.equal(rule.status, 200, rule.text);
    assert.deepEqual(rule.body.security_group_rule.ip_range, { cidr: '198.51.100.0/24' });
    assert.equal(
      (
        await nova('POST', '/os-security-group-rules', {
          security_group_rule: { parent_group_id: gid, ip_protocol: 'tcp', from_port: 90, to_port: 80 },
        })
      ).status,
      400,
    );
    // Another project neither sees nor deletes it; the default group cannot be deleted (400, as Nova).
    assert.equal((await nova('GET', `/os-security-groups/${gid}`, undefined, other.token)).status, 404);
    const list = await nova('GET', '/os-security-groups');
    const def = list.body.security_groups.find((g: { name: string }) => g.name === 'default');
    assert.equal((await nova('DELETE', `/os-security-groups/${def.id}`)).status, 400);
    assert.equal((await h.request('compute', 'GET', '/os-security-groups', { token: p.token, microversion: '2.36' })).status, 404);

    const r = await h.request('compute', 'POST', '/servers', {
      token: p.token,
      body: { server: { name: 'sgvm', imageRef: seeded.imageId, flavorRef: seeded.flavorId, networks: [{ uuid: net.body.network.id }] } },
      microversion: '2.37',
    });
    assert.equal(r.status, 202, r.text);
    const id = r.body.server.id;
    const s = await waitStatus(h, id, 'ACTIVE', p.token);
    const addr = (s.addresses.n1 as { addr: string }[])[0]!.addr;
    assert.equal((await nova('POST', `/servers/${id}/action`, { addSecurityGroup: { name: 'web' } })).status, 202);
    const groups = await nova('GET', `/servers/${id}/os-security-groups`);
    assert.deepEqual(groups.body.security_groups.map((g: { name: string }) => g.name).sort(), ['default', 'web']);
    assert.equal((await nova('DELETE', `/os-security-groups/${gid}`)).status, 400);
    assert.equal((await nova('POST', `/servers/${id}/action`, { removeSecurityGroup: { name: 'web' } })).status, 202);
    assert.equal((await nova('POST', `/servers/${id}/action`, { removeSecurityGroup: { name: 'web' } })).status, 400);
    const byIp = await h.request('compute', 'GET', `/servers?ip=${encodeURIComponent(addr.replace(/\d+$/, ''))}`, { token: p.token });
    assert.deepEqual(
      byIp.body.servers.map((x: { id: string }) => x.id),
      [id],
    );
    const none = await h.request('compute', 'GET', '/servers?ip=203.0.113.', { token: p.token });
    assert.deepEqual(none.body.servers, []);
    assert.equal((await nova('DELETE', `/os-security-groups/${gid}`)).status, 202);
    assert.equal((await h.request('compute', 'DELETE', `/servers/${id}`, { token: p.token })).status, 204);
  });

  it('os-interface: attach a port on another network, list, show, detach; bad input is a 4xx', async () => {
    const p = await h.project('ifaces');
    const other = await h.project('ifaces-other');
    const net = (method: string, path: string, body?: unknown, token = p.token) => h.request('network', method, path, { token, body });
    const mk = async (name: string, cidr: string, token = p.token) => {
      const n = await net('POST', '/v2.0/networks', { network: { name } }, token);
      await net('POST', '/v2.0/subnets', { subnet: { network_id: n.body.network.id, ip_version: 4, cidr } }, token);
      return n.body.network.id as string;
    };
    const first = await mk('if-a', '10.33.0.0/24');
    const second = await mk('if-b', '10.34.0.0/24');
    const foreign = await mk('if-x', '10.35.0.0/24', other.token);
    const r = await h.request('compute', 'POST', '/servers', {
      token: p.token,
      body: { server: { name: 'ifvm', imageRef: seeded.imageId, flavorRef: seeded.flavorId, networks: [{ uuid: first }] } },
      microversion: '2.37',
    });
    const id = r.body.server.id;
    await waitStatus(h, id, 'ACTIVE', p.token);
    const nova = (method: string, path: string, body?: unknown, token = p.token) =>
      h.request('compute', method, path, { token, body, microversion: '2.72' });
    const att = await nova('POST', `/servers/${id}/os-interface`, {
      interfaceAttachment: { net_id: second, fixed_ips: [{ ip_address: '10.34.0.9' }] },
    });
    assert.equal(att.status, 200, att.text);
    assert.equal(att.body.interfaceAttachment.net_id, second);
    assert.deepEqual(
      att.body.interfaceAttachment.fixed_ips.map((f: { ip_address: string }) => f.ip_address),
      ['10.34.0.9'],
    );
    const portId = att.body.interfaceAttachment.port_id;
    const list = await nova('GET', `/servers/${id}/os-interface`);
    assert.deepEqual(list.body.interfaceAttachments.map((a: { net_id: string }) => a.net_id).sort(), [first, second].sort());
    assert.equal((await nova('GET', `/servers/${id}/os-interface/${portId}`)).body.interfaceAttachment.tag, null);
    const shown = await h.request('compute', 'GET', `/servers/${id}`, { token: p.token });
    assert.deepEqual(Object.keys(shown.body.server.addresses).sort(), ['if-a', 'if-b']);
    // Another project's network, both ids, a non-UUID, another project's caller: 4xx, nothing attached.
    assert.equal((await nova('POST', `/servers/${id}/os-interface`, { interfaceAttachment: { net_id: foreign } })).status, 400);
    assert.equal(
      (await nova('POST', `/servers/${id}/os-interface`, { interfaceAttachment: { net_id: second, port_id: portId } })).status,
      400,
    );
    assert.equal((await nova('POST', `/servers/${id}/os-interface`, { interfaceAttachment: { net_id: 'nope' } })).status, 400);
    assert.equal((await nova('GET', `/servers/${id}/os-interface`, undefined, other.token)).status, 404);
    assert.equal((await nova('POST', `/servers/${id}/os-interface`, { interfaceAttachment: { port_id: portId } })).status, 409);
    assert.equal((await nova('DELETE', `/servers/${id}/os-interface/${portId}`)).status, 202);
    assert.equal((await nova('DELETE', `/servers/${id}/os-interface/${portId}`)).status, 404);
    assert.equal((await net('GET', `/v2.0/ports/${portId}`)).status, 404);
    const after = await h.request('compute', 'GET', `/servers/${id}`, { token: p.token });
    assert.deepEqual(Object.keys(after.body.server.addresses), ['if-a']);
    // addFixedIp / removeFixedIp (before 2.44): another address on the same port, then gone again.
    const legacy = (body: unknown, mv = '2.43') =>
      h.request('compute', 'POST', `/servers/${id}/action`, { token: p.token, body, microversion: mv });
    assert.equal((await legacy({ addFixedIp: { networkId: first } })).status, 202);
    const two = (await h.request('compute', 'GET', `/servers/${id}/ips`, { token: p.token })).body.addresses['if-a'];
    assert.equal(two.length, 2, JSON.stringify(two));
    assert.equal((await legacy({ removeFixedIp: { address: two[1].addr } })).status, 202);
    assert.equal((await h.request('compute', 'GET', `/servers/${id}/ips`, { token: p.token })).body.addresses['if-a'].length, 1);
    assert.equal((await legacy({ removeFixedIp: { address: '10.99.99.99' } })).status, 400);
    assert.equal((await legacy({ addFixedIp: { networkId: second } })).status, 400);
    assert.equal((await legacy({ addFixedIp: { networkId: first } }, '2.44')).status, 404);
    assert.equal((await h.request('compute', 'DELETE', `/servers/${id}`, { token: p.token })).status, 204);
  });

  it('a floating IP associated with a server port shows among its addresses, and goes when disassociated', async () => {
    const p = await h.project('fip-addr');
    const net = (method: string, path: string, body?: unknown, token: string | null = p.token) =>
      h.request('network', method, path, { token, body });
    const pub = await h.request('network', 'POST', '/v2.0/networks', { body: { network: { name: 'pub-fip', 'router:external': true } } });
    assert.equal(pub.status, 201, pub.text);
    const pubSub = await h.request('network', 'POST', '/v2.0/subnets', {
      body: { subnet: { network_id: pub.body.network.id, ip_version: 4, cidr: '198.51.100.0/24', enable_dhcp: false } },
    });
    assert.equal(pubSub.status, 201, pubSub.text);
    const own = await net('POST', '/v2.0/networks', { network: { name: 'inner' } });
    const sub = await net('POST', '/v2.0/subnets', { subnet: { network_id: own.body.network.id, ip_version: 4, cidr: '10.32.0.0/24' } });
    const router = await net('POST', '/v2.0/routers', {
      router: { name: 'r', external_gateway_info: { network_id: pub.body.network.id } },
    });
    assert.equal(router.status, 201, router.text);
    assert.equal(
      (await net('PUT', `/v2.0/routers/${router.body.router.id}/add_router_interface`, { subnet_id: sub.body.subnet.id })).status,
      200,
    );
    const r = await h.request('compute', 'POST', '/servers', {
      token: p.token,
      body: { server: { name: 'fipvm', imageRef: seeded.imageId, flavorRef: seeded.flavorId, networks: [{ uuid: own.body.network.id }] } },
      microversion: '2.37',
    });
    assert.equal(r.status, 202, r.text);
    const id = r.body.server.id;
    await waitStatus(h, id, 'ACTIVE', p.token);
    const port = (await net('GET', `/v2.0/ports?device_id=${id}`)).body.ports[0];
    const fip = await net('POST', '/v2.0/floatingips', { floatingip: { floating_network_id: pub.body.network.id, port_id: port.id } });
    assert.equal(fip.status, 201, fip.text);
    const address = fip.body.floatingip.floating_ip_address;
    const addresses = async () => (await h.request('compute', 'GET', `/servers/${id}`, { token: p.token })).body.server.addresses.inner;
    const wait = async (want: (a: { addr: string; 'OS-EXT-IPS:type': string }[]) => boolean) => {
      for (let i = 0; i < 100; i++) {
        const a = await addresses();
        if (want(a)) return a;
        await new Promise((res) => setTimeout(res, 50));
      }
      assert.fail(`addresses did not change: ${JSON.stringify(await addresses())}`);
    };
    const withFip = await wait((a) => a.some((x) => x.addr === address));
    assert.deepEqual(
      withFip.map((x: { 'OS-EXT-IPS:type': string }) => x['OS-EXT-IPS:type']),
      ['fixed', 'floating'],
    );
    assert.equal((await net('PUT', `/v2.0/floatingips/${fip.body.floatingip.id}`, { floatingip: { port_id: null } })).status, 200);
    await wait((a) => a.length === 1);
    assert.equal((await h.request('compute', 'DELETE', `/servers/${id}`, { token: p.token })).status, 204);
  });
});
