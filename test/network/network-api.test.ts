import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { hostState } from '../../src/network/domain/host-state.js';
import { startNetwork, type NetworkHarness } from './network-harness.js';

let h: NetworkHarness;
before(async () => {
  h = await startNetwork();
});
after(async () => {
  await h?.close();
});

const ok = (r: { status: number; text: string }, status: number): void => assert.equal(r.status, status, r.text);

describe('networks, subnets and ports', () => {
  it('the seed provider network: flat on the configured physical network, shared, with the seed subnet', async () => {
    const n = await h.request('POST', '/v2.0/networks', {
      body: { network: { name: 'provider', shared: true, 'provider:physical_network': 'provider', 'provider:network_type': 'flat' } },
    });
    ok(n, 201);
    assert.equal(n.body.network['provider:network_type'], 'flat');
    assert.equal(n.body.network.mtu, 1500);
    assert.equal(n.body.network.status, 'ACTIVE');
    const again = await h.request('POST', '/v2.0/networks', {
      body: { network: { name: 'p2', 'provider:physical_network': 'provider', 'provider:network_type': 'flat' } },
    });
    ok(again, 409);
    assert.equal(again.body.NeutronError.type, 'FlatNetworkInUse');
    const unknown = await h.request('POST', '/v2.0/networks', {
      body: { network: { 'provider:physical_network': 'nowhere', 'provider:network_type': 'flat' } },
    });
    ok(unknown, 400);
    const s = await h.request('POST', '/v2.0/subnets', {
      body: {
        subnet: {
          network_id: n.body.network.id,
          ip_version: 4,
          cidr: '203.0.113.0/24',
          gateway_ip: '203.0.113.1',
          allocation_pools: [{ start: '203.0.113.101', end: '203.0.113.250' }],
          dns_nameservers: ['198.51.100.53'],
          name: 'provider',
        },
      },
    });
    ok(s, 201);
    assert.deepEqual(s.body.subnet.allocation_pools, [{ start: '203.0.113.101', end: '203.0.113.250' }]);
    // The network's DHCP port takes the pool's first address.
    const ports = await h.request('GET', `/v2.0/ports?network_id=${n.body.network.id}`);
    assert.deepEqual(
      ports.body.ports.map((p: { device_owner: string; fixed_ips: { ip_address: string }[] }) => [
        p.device_owner,
        p.fixed_ips[0]!.ip_address,
      ]),
      [['network:dhcp', '203.0.113.101']],
    );
    const shown = await h.request('GET', `/v2.0/networks/${n.body.network.id}`);
    assert.deepEqual(shown.body.network.subnets, [s.body.subnet.id]);
  });

  it('a project network: VXLAN from the range, MTU 1450, default pools, addresses in order, no duplicates', async () => {
    const m = await h.member();
    const n = await h.request('POST', '/v2.0/networks', { token: m.token, body: { network: { name: 'selfservice' } } });
    ok(n, 201);
    assert.equal(n.body.network.mtu, 1450);
    assert.equal(n.body.network['provider:network_type'], undefined, 'members do not see provider attributes');
    const admin = await h.request('GET', `/v2.0/networks/${n.body.network.id}`);
    assert.equal(admin.body.network['provider:network_type'], 'vxlan');
    assert.ok(admin.body.network['provider:segmentation_id'] >= 1001);
    const s = await h.request('POST', '/v2.0/subnets', {
      token: m.token,
      body: { subnet: { network_id: n.body.network.id, ip_version: 4, cidr: '10.20.0.0/24', enable_dhcp: false } },
    });
    ok(s, 201);
    assert.equal(s.body.subnet.gateway_ip, '10.20.0.1');
    assert.deepEqual(s.body.subnet.allocation_pools, [{ start: '10.20.0.2', end: '10.20.0.254' }]);
    const p1 = await h.request('POST', '/v2.0/ports', { token: m.token, body: { port: { network_id: n.body.network.id, name: 'a' } } });
    const p2 = await h.request('POST', '/v2.0/ports', { token: m.token, body: { port: { network_id: n.body.network.id, name: 'b' } } });
    ok(p1, 201);
    ok(p2, 201);
    assert.equal(p1.body.port.fixed_ips[0].ip_address, '10.20.0.2');
    assert.equal(p2.body.port.fixed_ips[0].ip_address, '10.20.0.3');
    assert.match(p1.body.port.mac_address, /^fa:16:3e(:[0-9a-f]{2}){3}$/);
    assert.equal(p1.body.port.status, 'DOWN');
    assert.equal(p1.body.port.security_groups.length, 1, 'the default group');
    const dup = await h.request('POST', '/v2.0/ports', {
      token: m.token,
      body: { port: { network_id: n.body.network.id, fixed_ips: [{ ip_address: '10.20.0.2' }] } },
    });
    ok(dup, 409);
    assert.equal(dup.body.NeutronError.type, 'IpAddressAlreadyAllocated');
    const macDup = await h.request('POST', '/v2.0/ports', {
      token: m.token,
      body: { port: { network_id: n.body.network.id, mac_address: p1.body.port.mac_address } },
    });
    ok(macDup, 409);
    assert.equal(macDup.body.NeutronError.type, 'MacAddressInUse');
    const overlap = await h.request('POST', '/v2.0/subnets', {
      token: m.token,
      body: { subnet: { network_id: n.body.network.id, ip_version: 4, cidr: '10.20.0.128/25' } },
    });
    ok(overlap, 400);
    const inUse = await h.request('DELETE', `/v2.0/networks/${n.body.network.id}`, { token: m.token });
    ok(inUse, 409);
    assert.equal(inUse.body.NeutronError.type, 'NetworkInUse');
    // A released address is free again.
    ok(await h.request('DELETE', `/v2.0/ports/${p1.body.port.id}`, { token: m.token }), 204);
    const p3 = await h.request('POST', '/v2.0/ports', { token: m.token, body: { port: { network_id: n.body.network.id } } });
    assert.equal(p3.body.port.fixed_ips[0].ip_address, '10.20.0.2');
    for (const p of [p2, p3]) ok(await h.request('DELETE', `/v2.0/ports/${p.body.port.id}`, { token: m.token }), 204);
    ok(await h.request('DELETE', `/v2.0/networks/${n.body.network.id}`, { token: m.token }), 204);
    ok(await h.request('GET', `/v2.0/subnets/${s.body.subnet.id}`, { token: m.token }), 404);
  });

  it('IPv6: SLAAC addresses from the MAC, stateful ones from the pool', async () => {
    const m = await h.member();
    const n = (await h.request('POST', '/v2.0/networks', { token: m.token, body: { network: {} } })).body.network;
    const slaac = await h.request('POST', '/v2.0/subnets', {
      token: m.token,
      body: { subnet: { network_id: n.id, ip_version: 6, cidr: '2001:db8:1::/64', ipv6_ra_mode: 'slaac', ipv6_address_mode: 'slaac' } },
    });
    ok(slaac, 201);
    assert.equal(slaac.body.subnet.gateway_ip, '2001:db8:1::1');
    const p = await h.request('POST', '/v2.0/ports', {
      token: m.token,
      body: { port: { network_id: n.id, mac_address: 'fa:16:3e:11:22:33' } },
    });
    ok(p, 201);
    assert.equal(p.body.port.fixed_ips[0].ip_address, '2001:db8:1:0:f816:3eff:fe11:2233');
    const bad = await h.request('POST', '/v2.0/subnets', {
      token: m.token,
      body: { subnet: { network_id: n.id, ip_version: 6, cidr: '2001:db8:2::/80', ipv6_address_mode: 'slaac' } },
    });
    ok(bad, 400);
  });

  it('lists filter, sort, page and pick fields', async () => {
    const m = await h.member();
    const ids: string[] = [];
    for (const name of ['n-c', 'n-a', 'n-b']) {
      ids.push((await h.request('POST', '/v2.0/networks', { token: m.token, body: { network: { name } } })).body.network.id);
    }
    const sorted = await h.request('GET', '/v2.0/networks?sort_key=name&sort_dir=desc&fields=name&fields=id', { token: m.token });
    const own = sorted.body.networks.filter((x: { id: string }) => ids.includes(x.id));
    assert.deepEqual(
      own.map((x: { name: string }) => x.name),
      ['n-c', 'n-b', 'n-a'],
    );
    assert.deepEqual(Object.keys(own[0]).sort(), ['id', 'name']);
    const page = await h.request('GET', '/v2.0/networks?name=n-a&name=n-b&limit=1&sort_key=name', { token: m.token });
    assert.equal(page.body.networks.length, 1);
    assert.equal(page.body.networks[0].name, 'n-a');
    const next = new URL(page.body.networks_links.find((l: { rel: string }) => l.rel === 'next').href);
    const page2 = await h.request('GET', `${next.pathname}${next.search}`, { token: m.token });
    assert.equal(page2.body.networks[0].name, 'n-b');
    const tagged = await h.request('PUT', `/v2.0/networks/${ids[0]}/tags/blue`, { token: m.token });
    ok(tagged, 201);
    const byTag = await h.request('GET', '/v2.0/networks?tags=blue', { token: m.token });
    assert.deepEqual(
      byTag.body.networks.map((x: { id: string }) => x.id),
      [ids[0]],
    );
    const rev = await h.request('GET', `/v2.0/networks/${ids[0]}`, { token: m.token });
    assert.equal(rev.body.network.revision_number, 1);
  });
});

describe('projects are apart', () => {
  it("a member neither sees nor touches another project's resources (404), but sees shared networks", async () => {
    const a = await h.member();
    const b = await h.member();
    const net = (await h.request('POST', '/v2.0/networks', { token: a.token, body: { network: { name: 'mine' } } })).body.network;
    const sg = (await h.request('POST', '/v2.0/security-groups', { token: a.token, body: { security_group: { name: 'web' } } })).body
      .security_group;
    const router = (await h.request('POST', '/v2.0/routers', { token: a.token, body: { router: { name: 'r' } } })).body.router;
    for (const path of [`/v2.0/networks/${net.id}`, `/v2.0/security-groups/${sg.id}`, `/v2.0/routers/${router.id}`]) {
      const r = await h.request('GET', path, { token: b.token });
      ok(r, 404);
      assert.match(r.body.NeutronError.type, /NotFound$/);
      ok(await h.request('DELETE', path, { token: b.token }), 404);
    }
    const port = await h.request('POST', '/v2.0/ports', { token: b.token, body: { port: { network_id: net.id } } });
    ok(port, 404);
    const list = await h.request('GET', '/v2.0/networks', { token: b.token });
    assert.ok(!list.body.networks.some((n: { id: string }) => n.id === net.id));
    const shared = (await h.request('GET', '/v2.0/networks?shared=true', { token: b.token })).body.networks;
    assert.ok(shared.length >= 1 && shared.every((n: { shared: boolean }) => n.shared));
    const groups = (await h.request('GET', '/v2.0/security-groups', { token: b.token })).body.security_groups;
    assert.deepEqual(
      groups.map((g: { name: string; project_id: string }) => [g.name, g.project_id]),
      [['default', b.projectId]],
    );
    const forged = await h.request('POST', '/v2.0/networks', { token: b.token, body: { network: { project_id: a.projectId } } });
    ok(forged, 403);
    const provider = await h.request('POST', '/v2.0/networks', { token: b.token, body: { network: { 'provider:network_type': 'vxlan' } } });
    ok(provider, 403);
  });
});

describe('security groups', () => {
  it("a project's default group has Neutron's four rules; rules are validated and unique", async () => {
    const m = await h.member();
    const groups = (await h.request('GET', '/v2.0/security-groups', { token: m.token })).body.security_groups;
    assert.equal(groups.length, 1);
    const rules = groups[0].security_group_rules as { direction: string; ethertype: string; remote_group_id: string | null }[];
    assert.deepEqual(rules.map((r) => `${r.direction}/${r.ethertype}/${r.remote_group_id ? 'self' : 'any'}`).sort(), [
      'egress/IPv4/any',
      'egress/IPv6/any',
      'ingress/IPv4/self',
      'ingress/IPv6/self',
    ]);
    const rule = { security_group_id: groups[0].id, direction: 'ingress', protocol: 'tcp', port_range_min: 22, port_range_max: 22 };
    ok(await h.request('POST', '/v2.0/security-group-rules', { token: m.token, body: { security_group_rule: rule } }), 201);
    const again = await h.request('POST', '/v2.0/security-group-rules', { token: m.token, body: { security_group_rule: rule } });
    ok(again, 409);
    assert.equal(again.body.NeutronError.type, 'SecurityGroupRuleExists');
    for (const bad of [
      { ...rule, port_range_min: 30, port_range_max: 20 },
      { ...rule, protocol: 'bogus' },
      { ...rule, protocol: null },
      { ...rule, direction: 'sideways' },
      { ...rule, protocol: 'icmp', port_range_min: 300, port_range_max: null },
      { ...rule, remote_ip_prefix: '2001:db8::/64' },
    ]) {
      ok(await h.request('POST', '/v2.0/security-group-rules', { token: m.token, body: { security_group_rule: bad } }), 400);
    }
    const del = await h.request('DELETE', `/v2.0/security-groups/${groups[0].id}`, { token: m.token });
    ok(del, 409);
  });
});

describe('routers and floating IPs', () => {
  it('gateway on the external network, an interface, a floating IP for a port behind it', async () => {
    const ext = (await h.request('GET', '/v2.0/networks?name=provider')).body.networks[0];
    ok(await h.request('PUT', `/v2.0/networks/${ext.id}`, { body: { network: { 'router:external': true } } }), 200);
    const m = await h.member();
    const net = (await h.request('POST', '/v2.0/networks', { token: m.token, body: { network: { name: 'inside' } } })).body.network;
    const sub = (
      await h.request('POST', '/v2.0/subnets', {
        token: m.token,
        body: { subnet: { network_id: net.id, ip_version: 4, cidr: '10.30.0.0/24' } },
      })
    ).body.subnet;
    const r = await h.request('POST', '/v2.0/routers', {
      token: m.token,
      body: { router: { name: 'r', external_gateway_info: { network_id: ext.id } } },
    });
    ok(r, 201);
    const gw = r.body.router.external_gateway_info;
    assert.equal(gw.network_id, ext.id);
    assert.equal(gw.enable_snat, true);
    assert.match(gw.external_fixed_ips[0].ip_address, /^203\.0\.113\./);
    const port = (await h.request('POST', '/v2.0/ports', { token: m.token, body: { port: { network_id: net.id } } })).body.port;
    const unreachable = await h.request('POST', '/v2.0/floatingips', {
      token: m.token,
      body: { floatingip: { floating_network_id: ext.id, port_id: port.id } },
    });
    ok(unreachable, 404);
    assert.equal(unreachable.body.NeutronError.type, 'ExternalGatewayForFloatingIPNotFound');
    const iface = await h.request('PUT', `/v2.0/routers/${r.body.router.id}/add_router_interface`, {
      token: m.token,
      body: { subnet_id: sub.id },
    });
    ok(iface, 200);
    assert.equal(iface.body.subnet_id, sub.id);
    const fip = await h.request('POST', '/v2.0/floatingips', {
      token: m.token,
      body: { floatingip: { floating_network_id: ext.id, port_id: port.id } },
    });
    ok(fip, 201);
    assert.equal(fip.body.floatingip.fixed_ip_address, port.fixed_ips[0].ip_address);
    assert.equal(fip.body.floatingip.router_id, r.body.router.id);
    assert.equal(fip.body.floatingip.port_details.device_owner, '');
    // The agent's view of its host: the router with its legs and the NAT for the floating IP.
    await h.server.services.agents.report({ host: 'h1', tunnelIp: '10.99.0.1', dhcp: true, l3: true });
    const state = await hostState(h.server.services.context, h.server.services.agents, 'h1');
    const router = state.routers.find((x) => x.id === r.body.router.id)!;
    assert.equal(router.gateway?.cidr, `${gw.external_fixed_ips[0].ip_address}/24`);
    assert.equal(router.gateway?.nexthop, '203.0.113.1');
    assert.deepEqual(
      router.interfaces.map((i) => i.cidr),
      ['10.30.0.1/24'],
    );
    assert.deepEqual(router.floatingIps, [{ floating: fip.body.floatingip.floating_ip_address, fixed: port.fixed_ips[0].ip_address }]);
    const busy = await h.request('PUT', `/v2.0/routers/${r.body.router.id}/remove_router_interface`, {
      token: m.token,
      body: { subnet_id: sub.id },
    });
    ok(busy, 409);
    ok(await h.request('DELETE', `/v2.0/ports/${iface.body.port_id}`, { token: m.token }), 409);
    ok(
      await h.request('PUT', `/v2.0/floatingips/${fip.body.floatingip.id}`, { token: m.token, body: { floatingip: { port_id: null } } }),
      200,
    );
    ok(
      await h.request('PUT', `/v2.0/routers/${r.body.router.id}/remove_router_interface`, { token: m.token, body: { subnet_id: sub.id } }),
      200,
    );
    ok(await h.request('DELETE', `/v2.0/floatingips/${fip.body.floatingip.id}`, { token: m.token }), 204);
    ok(await h.request('DELETE', `/v2.0/routers/${r.body.router.id}`, { token: m.token }), 204);
  });
});

describe('faults and quotas', () => {
  it('bad bodies are NeutronError 400s; quotas are enforced', async () => {
    const m = await h.member();
    for (const body of [{ network: { bogus: 1 } }, { network: { name: 5 } }, { nothing: {} }, [], { network: { admin_state_up: 'yes' } }]) {
      const r = await h.request('POST', '/v2.0/networks', { token: m.token, body });
      ok(r, 400);
      assert.equal(typeof r.body.NeutronError.message, 'string');
    }
    ok(await h.request('PUT', `/v2.0/quotas/${m.projectId}`, { body: { quota: { network: 1 } } }), 200);
    ok(await h.request('POST', '/v2.0/networks', { token: m.token, body: { network: {} } }), 201);
    const over = await h.request('POST', '/v2.0/networks', { token: m.token, body: { network: {} } });
    ok(over, 409);
    assert.equal(over.body.NeutronError.type, 'OverQuota');
    const details = await h.request('GET', `/v2.0/quotas/${m.projectId}/details`, { token: m.token });
    assert.deepEqual(details.body.quota.network, { limit: 1, used: 1, reserved: 0 });
    ok(await h.request('PUT', `/v2.0/quotas/${m.projectId}`, { token: m.token, body: { quota: { network: 9 } } }), 403);
    ok(await h.request('GET', '/v2.0/networks', { token: null }), 401);
  });
});

describe('agents', () => {
  it("each host's roles are Neutron's agents; admin only; admin_state_up moves DHCP to another host", async () => {
    await h.server.services.agents.report({ host: 'ag-a', tunnelIp: '10.99.1.1', dhcp: true, l3: true });
    await h.server.services.agents.report({ host: 'ag-b', tunnelIp: '10.99.1.2', dhcp: true, l3: false });
    const list = await h.request('GET', '/v2.0/agents?host=ag-a');
    ok(list, 200);
    const types = list.body.agents.map((a: { agent_type: string }) => a.agent_type).sort();
    assert.deepEqual(types, ['DHCP agent', 'L3 agent', 'Linux bridge agent', 'Metadata agent']);
    const l2 = list.body.agents.find((a: { binary: string }) => a.binary === 'neutron-linuxbridge-agent');
    assert.equal(l2.alive, true);
    assert.equal(l2.configurations.tunneling_ip, '10.99.1.1');
    const dhcpA = list.body.agents.find((a: { agent_type: string }) => a.agent_type === 'DHCP agent');
    assert.equal(dhcpA.availability_zone, 'nova');

    const member = await h.member();
    const hidden = await h.request('GET', '/v2.0/agents', { token: member.token });
    ok(hidden, 200);
    assert.deepEqual(hidden.body.agents, []);
    ok(await h.request('GET', `/v2.0/agents/${dhcpA.id}`, { token: member.token }), 404);
    ok(await h.request('PUT', `/v2.0/agents/${dhcpA.id}`, { token: member.token, body: { agent: { admin_state_up: false } } }), 404);

    // ag-a comes first by name, until its DHCP role is taken down.
    const before = h.server.services.agents;
    const hostsNow = (await before.list()).filter((x) => x.body.host.startsWith('ag-'));
    assert.equal(await before.hostFor('dhcp', hostsNow), 'ag-a');
    const down = await h.request('PUT', `/v2.0/agents/${dhcpA.id}`, {
      body: { agent: { admin_state_up: false, description: 'maintenance' } },
    });
    ok(down, 200);
    assert.equal(down.body.agent.admin_state_up, false);
    assert.equal(down.body.agent.description, 'maintenance');
    const hostsAfter = (await before.list()).filter((x) => x.body.host.startsWith('ag-'));
    assert.equal(await before.hostFor('dhcp', hostsAfter), 'ag-b');
    ok(await h.request('PUT', `/v2.0/agents/${dhcpA.id}`, { body: { agent: { host: 'x' } } }), 400);
    ok(await h.request('PUT', `/v2.0/agents/${dhcpA.id}`, { body: { agent: { admin_state_up: 'no' } } }), 400);

    // Deleted, the role is gone until the host reports again, with its settings.
    ok(await h.request('DELETE', `/v2.0/agents/${dhcpA.id}`), 204);
    ok(await h.request('GET', `/v2.0/agents/${dhcpA.id}`), 404);
    await h.server.services.agents.report({ host: 'ag-a', tunnelIp: '10.99.1.1', dhcp: true, l3: true });
    const back = await h.request('GET', `/v2.0/agents/${dhcpA.id}`);
    ok(back, 200);
    assert.equal(back.body.agent.admin_state_up, false);
    ok(await h.request('GET', '/v2.0/agents/00000000-0000-0000-0000-000000000000'), 404);
  });
});

describe('Neutron habits', () => {
  it('paths answer with a .json suffix too', async () => {
    const r = await h.request('GET', '/v2.0/networks.json?fields=id');
    ok(r, 200);
    assert.ok(Array.isArray(r.body.networks));
    const member = await h.member();
    ok(await h.request('GET', `/v2.0/quotas/${member.projectId}/details.json`), 200);
  });

  it('deleting an external network deletes its floating IPs; a router gateway on it still blocks the delete', async () => {
    const ext = await h.request('POST', '/v2.0/networks', { body: { network: { name: 'ext-del', 'router:external': true } } });
    ok(ext, 201);
    const id = ext.body.network.id;
    ok(await h.request('POST', '/v2.0/subnets', { body: { subnet: { network_id: id, ip_version: 4, cidr: '198.51.100.0/24' } } }), 201);
    const fip = await h.request('POST', '/v2.0/floatingips', { body: { floatingip: { floating_network_id: id } } });
    ok(fip, 201);
    const router = await h.request('POST', '/v2.0/routers', {
      body: { router: { name: 'r-ext-del', external_gateway_info: { network_id: id } } },
    });
    ok(router, 201);
    ok(await h.request('DELETE', `/v2.0/networks/${id}`), 409);
    ok(await h.request('PUT', `/v2.0/routers/${router.body.router.id}`, { body: { router: { external_gateway_info: {} } } }), 200);
    ok(await h.request('DELETE', `/v2.0/networks/${id}`), 204);
    ok(await h.request('GET', `/v2.0/floatingips/${fip.body.floatingip.id}`), 404);
    ok(await h.request('DELETE', `/v2.0/routers/${router.body.router.id}`), 204);
  });
});

describe('subnet pools', () => {
  it('subnets take CIDRs from a pool by prefix length or inside it; prefixes only grow; a pool in use stays', async () => {
    const m = await h.member();
    const pool = await h.request('POST', '/v2.0/subnetpools', {
      token: m.token,
      body: { subnetpool: { name: 'p1', prefixes: ['10.60.0.0/16'], default_prefixlen: 24, min_prefixlen: 20, max_prefixlen: 28 } },
    });
    ok(pool, 201);
    assert.equal(pool.body.subnetpool.ip_version, 4);
    const poolId = pool.body.subnetpool.id;
    const net = await h.request('POST', '/v2.0/networks', { token: m.token, body: { network: { name: 'pooled' } } });
    const netId = net.body.network.id;
    const sub = (extra: Record<string, unknown>) =>
      h.request('POST', '/v2.0/subnets', {
        token: m.token,
        body: { subnet: { network_id: netId, ip_version: 4, subnetpool_id: poolId, ...extra } },
      });
    const a = await sub({});
    ok(a, 201);
    assert.equal(a.body.subnet.cidr, '10.60.0.0/24');
    assert.equal(a.body.subnet.subnetpool_id, poolId);
    const net2 = await h.request('POST', '/v2.0/networks', { token: m.token, body: { network: { name: 'pooled2' } } });
    const b = await h.request('POST', '/v2.0/subnets', {
      token: m.token,
      body: { subnet: { network_id: net2.body.network.id, ip_version: 4, subnetpool_id: poolId, prefixlen: 26 } },
    });
    ok(b, 201);
    assert.equal(b.body.subnet.cidr, '10.60.1.0/26');
    ok(await sub({ prefixlen: 30 }), 400);
    ok(await sub({ cidr: '10.61.0.0/24' }), 400);
    ok(await sub({ ip_version: 6 }), 400);
    // Prefixes grow, never shrink.
    ok(
      await h.request('PUT', `/v2.0/subnetpools/${poolId}`, { token: m.token, body: { subnetpool: { prefixes: ['10.62.0.0/16'] } } }),
      400,
    );
    const grown = await h.request('PUT', `/v2.0/subnetpools/${poolId}`, {
      token: m.token,
      body: { subnetpool: { prefixes: ['10.60.0.0/16', '10.62.0.0/16'] } },
    });
    ok(grown, 200);
    assert.deepEqual(grown.body.subnetpool.prefixes, ['10.60.0.0/16', '10.62.0.0/16']);
    // Others do not see it; in use, it cannot go.
    const other = await h.member();
    ok(await h.request('GET', `/v2.0/subnetpools/${poolId}`, { token: other.token }), 404);
    ok(await h.request('DELETE', `/v2.0/subnetpools/${poolId}`, { token: m.token }), 409);
    ok(
      await h.request('POST', '/v2.0/subnetpools', { token: m.token, body: { subnetpool: { prefixes: ['10.70.0.0/16'], shared: true } } }),
      403,
    );
    ok(await h.request('POST', '/v2.0/subnetpools', { token: m.token, body: { subnetpool: { prefixes: ['nope'] } } }), 400);
    ok(await h.request('DELETE', `/v2.0/subnets/${a.body.subnet.id}`, { token: m.token }), 204);
    ok(await h.request('DELETE', `/v2.0/subnets/${b.body.subnet.id}`, { token: m.token }), 204);
    ok(await h.request('DELETE', `/v2.0/subnetpools/${poolId}`, { token: m.token }), 204);
  });
});
