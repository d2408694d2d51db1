/** Every resources route answers bad input with a 4xx Nova fault, never a 5xx: a sweep over the app's route table. */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { CloudProject } from '../support/compute-harness.js';
import { startComputeApi, type ComputeApiHarness } from '../support/compute-api-harness.js';

const MINE =
  /^\/(v2\.1\/(flavors|os-keypairs|os-quota-sets|os-quota-class-sets|limits|os-services|os-hypervisors|os-server-groups|os-aggregates|os-simple-tenant-usage|os-availability-zone)|$)/;
const NOVA_FAULTS: Record<number, string> = {
  400: 'badRequest',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'itemNotFound',
  405: 'badMethod',
  409: 'conflictingRequest',
  413: 'overLimit',
  415: 'badMediaType',
};

let h: ComputeApiHarness;
let member: CloudProject;
before(async () => {
  h = await startComputeApi();
  member = await h.project('sweep');
});
after(() => h?.close());

const PARAM_VALUES = ['does-not-exist', '0', '-1', "x'; drop table flavors;--", 'ÿ%20é', 'a'.repeat(300)];
const BODIES: (string | undefined)[] = [
  undefined,
  '{',
  '[]',
  'null',
  '{"x":1}',
  '{"flavor":{"name":5}}',
  JSON.stringify({ a: { b: { c: [1, { d: null }] } } }),
];

it('answers every bad request to a resources route with a 4xx Nova fault', async () => {
  const routes = h.compute.app.kumoRoutes.filter((r) => MINE.test(r.url) && r.method !== 'HEAD');
  assert.ok(routes.length >= 40, `only ${routes.length} routes found`);
  let checked = 0;
  for (const route of routes) {
    for (const value of PARAM_VALUES) {
      const path = route.url.replace(/^\/v2\.1/, '').replace(/:[a-z_]+/g, encodeURIComponent(value));
      const bodies = route.method === 'GET' || route.method === 'DELETE' ? [undefined] : BODIES;
      for (const body of bodies) {
        for (const [token, mv] of [
          [undefined, '2.1'],
          [undefined, '2.93'],
          [member.token, '2.53'],
        ] as const) {
          const r = await h.request(
            route.method,
            `${path}?limit=x&marker=%00&is_public=maybe&start=bad&all_projects=junk&with_servers=perhaps`,
            {
              token,
              microversion: mv,
              body,
            },
          );
          checked++;
          const where = `${route.method} ${path} mv=${mv} body=${String(body)} → ${r.status} ${r.text.slice(0, 200)}`;
          assert.ok(r.status < 500, where);
          if (r.status >= 400) {
            const name = NOVA_FAULTS[r.status];
            assert.ok(name && r.body?.[name]?.code === r.status, where);
          }
        }
      }
    }
  }
  assert.ok(checked > 500);
});

it('rejects missing and unknown tokens on every non-public route', async () => {
  for (const route of h.compute.app.kumoRoutes.filter((r) => MINE.test(r.url) && r.method !== 'HEAD')) {
    const path = route.url.replace(/^\/v2\.1/, '').replace(/:[a-z_]+/g, 'x');
    const r = await h.request(route.method, path, { token: 'not-a-token' });
    if (route.public) assert.ok(r.status < 500, `${route.method} ${route.url}`);
    else assert.equal(r.status, 401, `${route.method} ${route.url} → ${r.status}`);
  }
});
