import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { assertFault, claim, computeNode } from './placement-fixtures.js';
import { startPlacement, type PlacementHarness } from './placement-harness.js';

let h: PlacementHarness;
before(async () => {
  h = await startPlacement();
});
after(async () => {
  await h?.close();
});

describe('version document and microversions', () => {
  test('root is public and lists 1.0–1.39', async () => {
    const r = await h.request('GET', '/', { token: null });
    assert.equal(r.status, 200);
    assert.deepEqual(
      { min: r.body.versions[0].min_version, max: r.body.versions[0].max_version, id: r.body.versions[0].id },
      { min: '1.0', max: '1.39', id: 'v1.0' },
    );
    assert.equal(r.headers.get('openstack-api-version'), 'placement 1.0');
  });

  test('latest and explicit versions are echoed; out of range is 406', async () => {
    assert.equal((await h.request('GET', '/', { token: null, version: 'latest' })).headers.get('openstack-api-version'), 'placement 1.39');
    assert.equal(
      (await h.request('GET', '/resource_providers', { version: '1.14' })).headers.get('openstack-api-version'),
      'placement 1.14',
    );
    assertFault(await h.request('GET', '/resource_providers', { version: '1.40' }), 406);
    assertFault(await h.request('GET', '/resource_providers', { version: 'x.y' }), 400);
  });

  test('routes newer than the microversion are 404', async () => {
    assertFault(await h.request('GET', '/traits', { version: '1.5' }), 404);
    assertFault(await h.request('GET', '/resource_classes', { version: '1.1' }), 404);
    assertFault(await h.request('GET', '/allocation_candidates?resources=VCPU:1', { version: '1.9' }), 404);
    assertFault(await h.request('GET', '/usages?project_id=x', { version: '1.8' }), 404);
    assertFault(await h.request('POST', '/allocations', { version: '1.12', body: {} }), 404);
  });
});

describe('authorization', () => {
  test('no token is 401, a member is 403, admin and service roles pass', async () => {
    assertFault(await h.request('GET', '/resource_providers', { token: null }), 401);
    const member = await h.tokenWithRole('member');
    assertFault(await h.request('GET', '/resource_providers', { token: member }), 403);
    assertFault(await h.request('POST', '/resource_providers', { token: member, body: { name: 'x' } }), 403);
    const service = await h.tokenWithRole('service');
    assert.equal((await h.request('GET', '/resource_providers', { token: service })).status, 200);
  });
});

describe('resource providers', () => {
  test('create answers an empty 201 before 1.20 and the provider from 1.20', async () => {
    const old = await h.request('POST', '/resource_providers', { version: '1.19', body: { name: 'rp-old' } });
    assert.equal(old.status, 201);
    assert.equal(old.text, '');
    assert.match(old.headers.get('location')!, /^\/resource_providers\/[0-9a-f-]{36}$/);
    const uuid = randomUUID();
    const r = await h.request('POST', '/resource_providers', { version: '1.20', body: { name: 'rp-new', uuid } });
    assert.equal(r.status, 201);
    assert.equal(r.body.uuid, uuid);
    assert.equal(r.body.generation, 0);
    assert.equal(r.body.root_provider_uuid, uuid);
    assert.equal(r.body.parent_provider_uuid, null);
    assert.deepEqual(
      r.body.links.map((l: { rel: string }) => l.rel),
      ['self', 'inventories', 'usages', 'aggregates', 'traits', 'allocations'],
    );
  });

  test('duplicate name is placement.duplicate_name; duplicate uuid is a 409 too', async () => {
    const uuid = randomUUID();
    assert.equal((await h.request('POST', '/resource_providers', { body: { name: 'dup', uuid } })).status, 201);
    assertFault(await h.request('POST', '/resource_providers', { body: { name: 'dup' } }), 409, 'placement.duplicate_name');
    assertFault(await h.request('POST', '/resource_providers', { body: { name: 'dup2', uuid } }), 409);
  });

  test('show shapes by microversion; unknown is placement.resource_provider.not_found', async () => {
    const uuid = await computeNode(h);
    const v10 = await h.request('GET', `/resource_providers/${uuid}`);
    assert.equal(v10.body.parent_provider_uuid, undefined);
    assert.deepEqual(
      v10.body.links.map((l: { rel: string }) => l.rel),
      ['self', 'inventories', 'usages'],
    );
    const v114 = await h.request('GET', `/resource_providers/${uuid}`, { version: '1.14' });
    assert.equal(v114.body.root_provider_uuid, uuid);
    assertFault(await h.request('GET', `/resource_providers/${randomUUID()}`), 404, 'placement.resource_provider.not_found');
  });

  test('nested providers: parent needs 1.14, root follows the parent, parents cannot be deleted', async () => {
    const root = await computeNode(h);
    assertFault(
      await h.request('POST', '/resource_providers', { version: '1.13', body: { name: 'child-x', parent_provider_uuid: root } }),
      400,
    );
    const child = await h.request('POST', '/resource_providers', {
      version: '1.20',
      body: { name: `child-${root}`, parent_provider_uuid: root },
    });
    assert.equal(child.status, 201);
    assert.equal(child.body.root_provider_uuid, root);
    assert.equal(child.body.parent_provider_uuid, root);
    assertFault(
      await h.request('POST', '/resource_providers', { version: '1.14', body: { name: 'orphan', parent_provider_uuid: randomUUID() } }),
      400,
    );
    const tree = await h.request('GET', `/resource_providers?in_tree=${child.body.uuid}`, { version: '1.14' });
    assert.deepEqual(tree.body.resource_providers.map((p: { uuid: string }) => p.uuid).sort(), [root, child.body.uuid].sort());
    assertFault(await h.request('DELETE', `/resource_providers/${root}`), 409, 'placement.resource_provider.cannot_delete_parent');
    // Re-parenting needs 1.37; making a loop never works.
    const other = await computeNode(h);
    assertFault(
      await h.request('PUT', `/resource_providers/${child.body.uuid}`, {
        version: '1.36',
        body: { name: 'c', parent_provider_uuid: other },
      }),
      400,
    );
    const moved = await h.request('PUT', `/resource_providers/${child.body.uuid}`, {
      version: '1.37',
      body: { name: 'c', parent_provider_uuid: other },
    });
    assert.equal(moved.status, 200, moved.text);
    assert.equal(moved.body.root_provider_uuid, other);
    assertFault(
      await h.request('PUT', `/resource_providers/${other}`, {
        version: '1.37',
        body: { name: 'o', parent_provider_uuid: moved.body.uuid },
      }),
      400,
    );
    assert.equal((await h.request('DELETE', `/resource_providers/${moved.body.uuid}`)).status, 204);
    assert.equal((await h.request('DELETE', `/resource_providers/${root}`)).status, 204);
  });

  test('update renames; a taken name is a 409', async () => {
    const a = await computeNode(h, { name: 'ren-a' });
    await computeNode(h, { name: 'ren-b' });
    const r = await h.request('PUT', `/resource_providers/${a}`, { body: { name: 'ren-c' } });
    assert.equal(r.status, 200);
    assert.equal(r.body.name, 'ren-c');
    assertFault(await h.request('PUT', `/resource_providers/${a}`, { body: { name: 'ren-b' } }), 409, 'placement.duplicate_name');
    assertFault(await h.request('PUT', `/resource_providers/${a}`, { body: { name: 'x', extra: 1 } }), 400);
  });

  test('delete refuses a provider with allocations', async () => {
    const rp = await computeNode(h);
    const consumer = randomUUID();
    assert.equal((await claim(h, consumer, rp, { VCPU: 1 })).status, 204);
    assertFault(await h.request('DELETE', `/resource_providers/${rp}`), 409, 'placement.resource_provider.inuse');
    assert.equal((await h.request('DELETE', `/allocations/${consumer}`)).status, 204);
    assert.equal((await h.request('DELETE', `/resource_providers/${rp}`)).status, 204);
    assertFault(await h.request('GET', `/resource_providers/${rp}`), 404, 'placement.resource_provider.not_found');
  });

  test('list filters: name, uuid, resources (capacity), member_of, required traits', async () => {
    const big = await computeNode(h, { name: 'list-big', vcpu: 64 });
    const small = await computeNode(h, { name: 'list-small', vcpu: 2 });
    const names = async (q: string, version = '1.39') =>
      ((await h.request('GET', `/resource_providers?${q}`, { version })).body.resource_providers as { name: string }[])
        .map((p) => p.name)
        .sort();
    assert.deepEqual(await names('name=list-big'), ['list-big']);
    assert.deepEqual(await names(`uuid=${small}`), ['list-small']);
    assert.ok((await names('resources=VCPU:32')).includes('list-big'));
    assert.ok(!(await names('resources=VCPU:32')).includes('list-small'));
    assertFault(await h.request('GET', '/resources_providers?resources=VCPU:1', { version: '1.3' }), 404);
    assertFault(await h.request('GET', '/resource_providers?resources=VCPU:1', { version: '1.3' }), 400, 'placement.query.bad_value');
    assertFault(await h.request('GET', '/resource_providers?resources=VCPU', { version: '1.4' }), 400, 'placement.query.bad_value');

    const agg = randomUUID();
    const put = await h.request('PUT', `/resource_providers/${big}/aggregates`, {
      version: '1.19',
      body: { aggregates: [agg], resource_provider_generation: 1 },
    });
    assert.equal(put.status, 200, put.text);
    assert.deepEqual(await names(`member_of=${agg}`), ['list-big']);
    assert.deepEqual(await names(`member_of=in:${agg},${randomUUID()}`), ['list-big']);
    assert.ok(!(await names(`member_of=!${agg}`)).includes('list-big'));
    assertFault(await h.request('GET', `/resource_providers?member_of=!${agg}`, { version: '1.31' }), 400, 'placement.query.bad_value');
    assertFault(await h.request('GET', '/resource_providers?member_of=not-a-uuid', { version: '1.3' }), 400, 'placement.query.bad_value');

    const t = await h.request('PUT', `/resource_providers/${small}/traits`, {
      version: '1.6',
      body: { traits: ['HW_CPU_X86_AVX2'], resource_provider_generation: 1 },
    });
    assert.equal(t.status, 200, t.text);
    assert.deepEqual(await names('required=HW_CPU_X86_AVX2'), ['list-small']);
    assert.ok(!(await names('required=!HW_CPU_X86_AVX2')).includes('list-small'));
    assertFault(
      await h.request('GET', '/resource_providers?required=!HW_CPU_X86_AVX2', { version: '1.21' }),
      400,
      'placement.query.bad_value',
    );
    assertFault(
      await h.request('GET', '/resource_providers?required=HW_CPU_X86_AVX2', { version: '1.17' }),
      400,
      'placement.query.bad_value',
    );
    assert.deepEqual(await names('required=in:HW_CPU_X86_AVX2,HW_CPU_X86_SSE'), ['list-small']);
  });
});
