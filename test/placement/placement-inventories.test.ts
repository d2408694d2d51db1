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

const inv = (rp: string, rc = '') => `/resource_providers/${rp}/inventories${rc ? `/${rc}` : ''}`;

describe('inventories', () => {
  test('PUT all is checked against the generation (placement.concurrent_update)', async () => {
    const rp = await computeNode(h);
    const got = await h.request('GET', inv(rp));
    assert.equal(got.body.resource_provider_generation, 1);
    assert.deepEqual(got.body.inventories.VCPU, {
      total: 4,
      reserved: 0,
      min_unit: 1,
      max_unit: 2147483647,
      step_size: 1,
      allocation_ratio: 1,
    });
    assertFault(
      await h.request('PUT', inv(rp), { body: { resource_provider_generation: 0, inventories: { VCPU: { total: 8 } } } }),
      409,
      'placement.concurrent_update',
    );
    const ok = await h.request('PUT', inv(rp), {
      body: { resource_provider_generation: 1, inventories: { VCPU: { total: 8, allocation_ratio: 16.0 } } },
    });
    assert.equal(ok.status, 200);
    assert.equal(ok.body.resource_provider_generation, 2);
    assert.deepEqual(Object.keys(ok.body.inventories), ['VCPU']);
  });

  test('field validation: reserved vs total by microversion, min/max, ratio, unknown class', async () => {
    const rp = await computeNode(h);
    const put = (inventories: unknown, version?: string) =>
      h.request('PUT', inv(rp), { version, body: { resource_provider_generation: 1, inventories } });
    assertFault(await put({ VCPU: { total: 4, reserved: 5 } }, '1.26'), 400);
    assertFault(await put({ VCPU: { total: 4, reserved: 4 } }, '1.25'), 400);
    assertFault(await put({ VCPU: { total: 4, min_unit: 3, max_unit: 2 } }), 400);
    assertFault(await put({ VCPU: { total: 4, allocation_ratio: 0 } }), 400);
    assertFault(await put({ VCPU: { total: 0 } }), 400);
    assertFault(await put({ VCPU: { total: 4, step_size: 0 } }), 400);
    assertFault(await put({ VCPU: { total: 4, bogus: 1 } }), 400);
    assertFault(await put({ CUSTOM_NOT_DEFINED: { total: 4 } }), 400);
    assertFault(await put({ 'lower-case': { total: 4 } }), 400);
    const ok = await put({ VCPU: { total: 4, reserved: 4 } }, '1.26');
    assert.equal(ok.status, 200, ok.text);
  });

  test('POST one, GET/PUT/DELETE one', async () => {
    const rp = await computeNode(h);
    const created = await h.request('POST', inv(rp), { body: { resource_class: 'PCI_DEVICE', total: 2, resource_provider_generation: 1 } });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.headers.get('location'), inv(rp, 'PCI_DEVICE'));
    assert.equal(created.body.resource_provider_generation, 2);
    assert.equal(created.body.total, 2);
    assertFault(await h.request('POST', inv(rp), { body: { resource_class: 'PCI_DEVICE', total: 2 } }), 409);
    const one = await h.request('GET', inv(rp, 'PCI_DEVICE'));
    assert.equal(one.body.total, 2);
    assertFault(await h.request('GET', inv(rp, 'VGPU')), 404);
    assertFault(
      await h.request('PUT', inv(rp, 'PCI_DEVICE'), { body: { total: 3, resource_provider_generation: 1 } }),
      409,
      'placement.concurrent_update',
    );
    const upd = await h.request('PUT', inv(rp, 'PCI_DEVICE'), { body: { total: 3, resource_provider_generation: 2 } });
    assert.equal(upd.status, 200);
    assert.equal(upd.body.total, 3);
    assert.equal(upd.body.resource_provider_generation, 3);
    // The other classes are untouched by a single-class write.
    assert.deepEqual(Object.keys((await h.request('GET', inv(rp))).body.inventories).sort(), [
      'DISK_GB',
      'MEMORY_MB',
      'PCI_DEVICE',
      'VCPU',
    ]);
    assert.equal((await h.request('DELETE', inv(rp, 'PCI_DEVICE'))).status, 204);
    assertFault(await h.request('DELETE', inv(rp, 'PCI_DEVICE')), 404);
  });

  test('inventory in use cannot be removed (placement.inventory.inuse); lowering below usage is allowed', async () => {
    const rp = await computeNode(h, { vcpu: 4 });
    const c = randomUUID();
    assert.equal((await claim(h, c, rp, { VCPU: 3 })).status, 204);
    assertFault(await h.request('DELETE', inv(rp, 'VCPU')), 409, 'placement.inventory.inuse');
    const gen = (await h.request('GET', inv(rp))).body.resource_provider_generation;
    assertFault(
      await h.request('PUT', inv(rp), { body: { resource_provider_generation: gen, inventories: { MEMORY_MB: { total: 10 } } } }),
      409,
      'placement.inventory.inuse',
    );
    assertFault(await h.request('DELETE', inv(rp), { version: '1.5' }), 409, 'placement.inventory.inuse');
    assertFault(await h.request('DELETE', inv(rp), { version: '1.4' }), 404);
    // As placement, shrinking under current usage is accepted (the operator may be draining the host).
    const shrink = await h.request('PUT', inv(rp, 'VCPU'), { body: { total: 2, resource_provider_generation: gen } });
    assert.equal(shrink.status, 200, shrink.text);
    // ...but no new allocation fits now.
    assertFault(await claim(h, randomUUID(), rp, { VCPU: 1 }), 409, 'placement.undefined_code', /exceed the capacity/);
    assert.equal((await h.request('DELETE', `/allocations/${c}`)).status, 204);
    assert.equal((await h.request('DELETE', inv(rp), { version: '1.5' })).status, 204);
    assert.deepEqual((await h.request('GET', inv(rp))).body.inventories, {});
  });
});

describe('resource classes', () => {
  test('standard classes listed and read-only; custom ones created, PUT idempotent at 1.7, deleted', async () => {
    const list = await h.request('GET', '/resource_classes', { version: '1.2' });
    const names = list.body.resource_classes.map((c: { name: string }) => c.name);
    for (const n of ['VCPU', 'MEMORY_MB', 'DISK_GB', 'PCPU', 'VGPU', 'NET_BW_EGR_KILOBIT_PER_SEC']) assert.ok(names.includes(n), n);
    assert.deepEqual(list.body.resource_classes[0].links, [{ rel: 'self', href: `/resource_classes/${names[0]}` }]);
    assertFault(await h.request('POST', '/resource_classes', { version: '1.2', body: { name: 'VCPU' } }), 400);
    const c = await h.request('POST', '/resource_classes', { version: '1.2', body: { name: 'CUSTOM_GOLD' } });
    assert.equal(c.status, 201);
    assert.equal(c.headers.get('location'), '/resource_classes/CUSTOM_GOLD');
    assertFault(
      await h.request('POST', '/resource_classes', { version: '1.2', body: { name: 'CUSTOM_GOLD' } }),
      409,
      'placement.duplicate_name',
    );
    assert.equal((await h.request('GET', '/resource_classes/CUSTOM_GOLD', { version: '1.2' })).body.name, 'CUSTOM_GOLD');
    assert.equal((await h.request('PUT', '/resource_classes/CUSTOM_SILVER', { version: '1.7' })).status, 201);
    assert.equal((await h.request('PUT', '/resource_classes/CUSTOM_SILVER', { version: '1.7' })).status, 204);
    assertFault(await h.request('PUT', '/resource_classes/VCPU', { version: '1.7' }), 400);
    assertFault(await h.request('DELETE', '/resource_classes/VCPU', { version: '1.2' }), 400);
    // A class in an inventory cannot go.
    const rp = await computeNode(h);
    assert.equal((await h.request('POST', inv(rp), { body: { resource_class: 'CUSTOM_GOLD', total: 1 } })).status, 201);
    assertFault(await h.request('DELETE', '/resource_classes/CUSTOM_GOLD', { version: '1.2' }), 409);
    assert.equal((await h.request('DELETE', '/resource_classes/CUSTOM_SILVER', { version: '1.2' })).status, 204);
    assertFault(await h.request('GET', '/resource_classes/CUSTOM_SILVER', { version: '1.2' }), 404);
  });
});

describe('traits and aggregates', () => {
  test('trait catalogue: filters, custom create/delete, standard ones protected', async () => {
    const all = await h.request('GET', '/traits', { version: '1.6' });
    assert.ok(all.body.traits.includes('COMPUTE_VOLUME_ATTACH'));
    const hw = await h.request('GET', '/traits?name=startswith:HW_CPU_X86', { version: '1.6' });
    assert.ok(hw.body.traits.length > 3 && hw.body.traits.every((t: string) => t.startsWith('HW_CPU_X86')));
    assert.deepEqual((await h.request('GET', '/traits?name=in:STORAGE_DISK_SSD,NOPE', { version: '1.6' })).body.traits, [
      'STORAGE_DISK_SSD',
    ]);
    assertFault(await h.request('GET', '/traits?name=STORAGE_DISK_SSD', { version: '1.6' }), 400, 'placement.query.bad_value');
    assert.equal((await h.request('PUT', '/traits/CUSTOM_FAST', { version: '1.6' })).status, 201);
    assert.equal((await h.request('PUT', '/traits/CUSTOM_FAST', { version: '1.6' })).status, 204);
    assert.equal((await h.request('GET', '/traits/CUSTOM_FAST', { version: '1.6' })).status, 204);
    assertFault(await h.request('PUT', '/traits/NOT_CUSTOM', { version: '1.6' }), 400);
    assertFault(await h.request('DELETE', '/traits/STORAGE_DISK_SSD', { version: '1.6' }), 400);
    assertFault(await h.request('GET', '/traits/CUSTOM_NOPE', { version: '1.6' }), 404);
  });

  test('provider traits: generation checked, unknown traits refused, in-use traits kept', async () => {
    const rp = await computeNode(h);
    const path = `/resource_providers/${rp}/traits`;
    assertFault(
      await h.request('PUT', path, { version: '1.6', body: { traits: ['CUSTOM_FAST'], resource_provider_generation: 0 } }),
      409,
      'placement.concurrent_update',
    );
    assertFault(
      await h.request('PUT', path, { version: '1.6', body: { traits: ['CUSTOM_UNDEFINED'], resource_provider_generation: 1 } }),
      400,
    );
    const ok = await h.request('PUT', path, {
      version: '1.6',
      body: { traits: ['CUSTOM_FAST', 'COMPUTE_NODE'], resource_provider_generation: 1 },
    });
    assert.deepEqual(ok.body, { traits: ['COMPUTE_NODE', 'CUSTOM_FAST'], resource_provider_generation: 2 });
    assert.ok((await h.request('GET', '/traits?associated=true', { version: '1.6' })).body.traits.includes('CUSTOM_FAST'));
    assertFault(await h.request('DELETE', '/traits/CUSTOM_FAST', { version: '1.6' }), 409);
    assert.equal((await h.request('DELETE', path, { version: '1.6' })).status, 204);
    assert.deepEqual((await h.request('GET', path, { version: '1.6' })).body, { traits: [], resource_provider_generation: 3 });
    assert.equal((await h.request('DELETE', '/traits/CUSTOM_FAST', { version: '1.6' })).status, 204);
  });

  test('aggregates: list form before 1.19, generation-checked object from 1.19', async () => {
    const rp = await computeNode(h);
    const path = `/resource_providers/${rp}/aggregates`;
    const a = randomUUID();
    assertFault(await h.request('GET', path, { version: '1.0' }), 404);
    const old = await h.request('PUT', path, { version: '1.1', body: [a] });
    assert.deepEqual(old.body, { aggregates: [a] });
    assertFault(
      await h.request('PUT', path, { version: '1.19', body: { aggregates: [], resource_provider_generation: 1 } }),
      409,
      'placement.concurrent_update',
    );
    const cur = await h.request('GET', path, { version: '1.19' });
    assert.deepEqual(cur.body, { aggregates: [a], resource_provider_generation: 2 });
    const cleared = await h.request('PUT', path, { version: '1.19', body: { aggregates: [], resource_provider_generation: 2 } });
    assert.deepEqual(cleared.body, { aggregates: [], resource_provider_generation: 3 });
    assertFault(await h.request('PUT', path, { version: '1.19', body: [a] }), 400);
    assertFault(await h.request('PUT', path, { version: '1.1', body: ['not-a-uuid'] }), 400);
  });
});
