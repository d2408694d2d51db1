import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { computeNode } from './placement-fixtures.js';
import { startPlacement, type PlacementHarness } from './placement-harness.js';

let h: PlacementHarness;
let rp: string;
before(async () => {
  h = await startPlacement();
  rp = await computeNode(h);
});
after(async () => {
  await h?.close();
});

/** Path parameter values that must never reach the database as a 500. */
const PARAMS = (existing: string) => [existing, randomUUID(), 'not-a-uuid', 'x'.repeat(400), 'VCPU', 'ünïcode', '%20'];
const BODIES: { raw?: string; body?: unknown }[] = [
  { raw: '{"broken' },
  { body: [] },
  { body: 'text' },
  { body: 42 },
  { body: { unexpected: true } },
  { body: { name: 5, total: 'x', resource_provider_generation: 'x', allocations: 7, traits: 'x', aggregates: {} } },
  { body: { name: 'x'.repeat(300), resource_provider_generation: 0, inventories: { VCPU: { total: -1 } } } },
  { body: { [randomUUID()]: { allocations: { nope: {} } } } },
];

function expand(url: string): string[] {
  const names = [...url.matchAll(/:([a-z_]+)/g)].map((m) => m[1]!);
  if (names.length === 0) return [url];
  let out = [url];
  for (const n of names) {
    out = out.flatMap((u) => PARAMS(n === 'uuid' ? rp : 'VCPU').map((v) => u.replace(`:${n}`, encodeURIComponent(v))));
  }
  return out;
}

test('every route answers bad input with a 4xx placement error, never a 5xx', async () => {
  const routes = h.server.app.kumoRoutes.filter((r) => !r.public && r.method !== 'HEAD');
  assert.ok(routes.length >= 25, `only ${routes.length} routes`);
  let checked = 0;
  for (const route of routes) {
    for (const path of expand(route.url)) {
      for (const version of ['1.0', '1.20', '1.39']) {
        const variants = route.method === 'GET' || route.method === 'DELETE' ? [{}] : BODIES;
        for (const v of variants) {
          const r = await h.request(route.method, `${path}?bogus_param=%ZZ&bogus=1`, { ...v, version });
          const r2 = await h.request(route.method, path, { ...v, version });
          for (const res of [r, r2]) {
            const where = `${route.method} ${path} @${version} ${JSON.stringify(v).slice(0, 80)} → ${res.status} ${res.text.slice(0, 200)}`;
            assert.ok(res.status < 500, where);
            if (res.status >= 400) {
              assert.ok(res.status < 500, where);
              assert.match(res.body?.errors?.[0]?.code ?? '', /^placement\./, where);
            }
            checked++;
          }
        }
      }
    }
  }
  assert.ok(checked > 500);
});

test('writes with bad input leave the provider untouched', async () => {
  const fresh = await computeNode(h);
  for (const sub of ['inventories', 'inventories/VCPU', 'traits', 'aggregates', '']) {
    for (const v of BODIES) {
      const r = await h.request('PUT', `/resource_providers/${fresh}${sub ? `/${sub}` : ''}`, { ...v, version: '1.39' });
      assert.equal(r.status, 400, `${sub} ${r.text}`);
    }
  }
  const after = await h.request('GET', `/resource_providers/${fresh}/inventories`);
  assert.equal(after.body.resource_provider_generation, 1);
  assert.equal(after.body.inventories.VCPU.total, 4);
});
