import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { startNetwork, type NetworkHarness } from './network-harness.js';

let h: NetworkHarness;
let netId: string;
before(async () => {
  h = await startNetwork();
  netId = (await h.request('POST', '/v2.0/networks', { body: { network: { name: 'n' } } })).body.network.id;
  await h.request('POST', '/v2.0/subnets', { body: { subnet: { network_id: netId, ip_version: 4, cidr: '10.40.0.0/24' } } });
});
after(async () => {
  await h?.close();
});

const PARAMS = (existing: string): string[] => [existing, randomUUID(), 'not-a-uuid', 'x'.repeat(400), 'ünïcode', '%20'];
const BODIES: { raw?: string; body?: unknown }[] = [
  { raw: '{"broken' },
  { body: [] },
  { body: 'text' },
  { body: 42 },
  { body: { unexpected: true } },
  { body: { network: [], subnet: 'x', port: 5, router: null, floatingip: [], security_group: 1, security_group_rule: 'x', quota: [] } },
  {
    body: {
      network: { name: 5, mtu: 'x' },
      subnet: { network_id: 'x', cidr: 7, ip_version: 5 },
      port: { network_id: randomUUID(), fixed_ips: 'x' },
      router: { external_gateway_info: { network_id: 'nope' } },
      floatingip: { floating_network_id: randomUUID() },
      security_group_rule: { security_group_id: randomUUID(), direction: 'up' },
      tags: [5],
      subnet_id: 5,
      port_id: [],
    },
  },
  {
    body: {
      subnet: { network_id: '', ip_version: 4, cidr: '10.0.0.0/99', allocation_pools: [{ start: 'a', end: 'b' }], gateway_ip: '::1' },
    },
  },
];

function expand(url: string, method: string): string[] {
  let out = [url];
  for (const n of [...url.matchAll(/:([a-z_]+)/g)].map((m) => m[1]!)) {
    // DELETE of the real network would be a valid request; the rest must not lose it.
    const values = n === 'collection' ? ['networks', 'bogus'] : PARAMS(n === 'id' && method !== 'DELETE' ? netId : 'x');
    out = out.flatMap((u) => values.map((v) => u.replace(`:${n}`, encodeURIComponent(v))));
  }
  return out;
}

test('every route answers bad input with a 4xx NeutronError, never a 5xx', async () => {
  const m = await h.member();
  const routes = h.server.app.kumoRoutes.filter((r) => !r.public && r.method !== 'HEAD');
  assert.ok(routes.length >= 35, `only ${routes.length} routes`);
  let checked = 0;
  for (const route of routes) {
    for (const path of expand(route.url, route.method)) {
      const variants = route.method === 'GET' || route.method === 'DELETE' ? [{}] : BODIES;
      for (const v of variants) {
        for (const token of [undefined, m.token]) {
          const res = await h.request(route.method, `${path}?limit=x&sort_dir=sideways&marker=nope`, { ...v, token });
          const where = `${route.method} ${path} ${JSON.stringify(v).slice(0, 80)} → ${res.status} ${res.text.slice(0, 200)}`;
          assert.ok(res.status < 500, where);
          if (res.status >= 400) assert.equal(typeof res.body?.NeutronError?.type, 'string', where);
          checked++;
        }
      }
    }
  }
  assert.ok(checked > 500, `checked ${checked}`);
  // Nothing was lost: the network is still there with its subnet.
  const n = await h.request('GET', `/v2.0/networks/${netId}`);
  assert.equal(n.body.network.subnets.length, 1);
});
