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

describe('allocations', () => {
  test('conductor claim: consumer_generation null for a new consumer, then the current one', async () => {
    const rp = await computeNode(h);
    const c = randomUUID();
    assert.equal((await claim(h, c, rp, { VCPU: 1, MEMORY_MB: 512, DISK_GB: 1 })).status, 204);
    const got = await h.request('GET', `/allocations/${c}`, { version: '1.38' });
    assert.deepEqual(got.body, {
      allocations: { [rp]: { generation: 2, resources: { VCPU: 1, MEMORY_MB: 512, DISK_GB: 1 } } },
      project_id: 'proj',
      user_id: 'user',
      consumer_generation: 1,
      consumer_type: 'unknown',
    });
    assertFault(await claim(h, c, rp, { VCPU: 2 }), 409, 'placement.concurrent_update', /consumer generation conflict/);
    assertFault(await claim(h, c, rp, { VCPU: 2 }, 7), 409, 'placement.concurrent_update');
    assert.equal((await claim(h, c, rp, { VCPU: 2 }, 1)).status, 204);
    const v10 = await h.request('GET', `/allocations/${c}`);
    assert.deepEqual(v10.body, { allocations: { [rp]: { generation: 3, resources: { VCPU: 2 } } } });
    assert.deepEqual((await h.request('GET', `/resource_providers/${rp}/allocations`, { version: '1.11' })).body, {
      allocations: { [c]: { resources: { VCPU: 2 } } },
      resource_provider_generation: 3,
    });
    assert.equal((await h.request('DELETE', `/allocations/${c}`)).status, 204);
    assertFault(await h.request('DELETE', `/allocations/${c}`), 404);
    assert.deepEqual((await h.request('GET', `/allocations/${c}`, { version: '1.28' })).body, { allocations: {} });
  });

  test('capacity = (total - reserved) × ratio; min_unit/max_unit/step_size respected', async () => {
    const rp = await computeNode(h, { vcpu: 2, ratio: 4, ram: 2048, reserved: 512 });
    assertFault(await claim(h, randomUUID(), rp, { VCPU: 9 }), 409, 'placement.undefined_code', /exceed the capacity/);
    assert.equal((await claim(h, randomUUID(), rp, { VCPU: 8 })).status, 204);
    assertFault(await claim(h, randomUUID(), rp, { MEMORY_MB: 1537 }), 409, 'placement.undefined_code', /exceed the capacity/);
    assert.equal((await claim(h, randomUUID(), rp, { MEMORY_MB: 1536 })).status, 204);
    const put = await h.request('POST', `/resource_providers/${rp}/inventories`, {
      body: { resource_class: 'VGPU', total: 8, min_unit: 2, max_unit: 4, step_size: 2 },
    });
    assert.equal(put.status, 201, put.text);
    for (const n of [1, 3, 6])
      assertFault(await claim(h, randomUUID(), rp, { VGPU: n }), 409, 'placement.undefined_code', /inventory constraints/);
    assert.equal((await claim(h, randomUUID(), rp, { VGPU: 4 })).status, 204);
    assertFault(await claim(h, randomUUID(), rp, { PCI_DEVICE: 1 }), 409, 'placement.undefined_code', /Inventory for 'PCI_DEVICE'/);
    assertFault(await claim(h, randomUUID(), randomUUID(), { VCPU: 1 }), 400, 'placement.undefined_code', /does not exist/);
    const usages = await h.request('GET', `/resource_providers/${rp}/usages`);
    assert.deepEqual(usages.body.usages, { VCPU: 8, MEMORY_MB: 1536, DISK_GB: 0, VGPU: 4 });
  });

  test('body shape by microversion: list form, project/user from 1.8, consumer_type at 1.38', async () => {
    const rp = await computeNode(h);
    const c = randomUUID();
    const list = { allocations: [{ resource_provider: { uuid: rp }, resources: { VCPU: 1 } }] };
    assert.equal((await h.request('PUT', `/allocations/${c}`, { body: list })).status, 204);
    assertFault(await h.request('PUT', `/allocations/${c}`, { version: '1.8', body: list }), 400);
    assert.equal(
      (await h.request('PUT', `/allocations/${c}`, { version: '1.8', body: { ...list, project_id: 'p', user_id: 'u' } })).status,
      204,
    );
    assertFault(await h.request('PUT', `/allocations/${c}`, { version: '1.12', body: { ...list, project_id: 'p', user_id: 'u' } }), 400);
    const dict = { allocations: { [rp]: { resources: { VCPU: 1 } } }, project_id: 'p', user_id: 'u' };
    assert.equal((await h.request('PUT', `/allocations/${c}`, { version: '1.12', body: dict })).status, 204);
    assertFault(await h.request('PUT', `/allocations/${c}`, { version: '1.28', body: dict }), 400);
    const gen = (await h.request('GET', `/allocations/${c}`, { version: '1.28' })).body.consumer_generation;
    assertFault(await h.request('PUT', `/allocations/${c}`, { version: '1.38', body: { ...dict, consumer_generation: gen } }), 400);
    const typed = await h.request('PUT', `/allocations/${c}`, {
      version: '1.38',
      body: { ...dict, consumer_generation: gen, consumer_type: 'INSTANCE' },
    });
    assert.equal(typed.status, 204, typed.text);
    assertFault(
      await h.request('PUT', `/allocations/${c}`, {
        version: '1.33',
        body: { ...dict, consumer_generation: gen + 1, mappings: { '': [rp] } },
      }),
      400,
    );
    assert.equal(
      (
        await h.request('PUT', `/allocations/${c}`, {
          version: '1.34',
          body: { ...dict, consumer_generation: gen + 1, mappings: { '': [rp] } },
        })
      ).status,
      204,
    );
    assertFault(await h.request('PUT', '/allocations/not-a-uuid', { version: '1.12', body: dict }), 400);
    assertFault(
      await h.request('PUT', `/allocations/${c}`, {
        version: '1.12',
        body: { ...dict, allocations: { [rp]: { resources: { VCPU: 0 } } } },
      }),
      400,
    );
    const usage = await h.request('GET', '/usages?project_id=p', { version: '1.38' });
    assert.equal(usage.body.usages.INSTANCE.VCPU, 1);
    assert.equal(usage.body.usages.INSTANCE.consumer_count, 1);
    assert.deepEqual((await h.request('GET', '/usages?project_id=p&user_id=u', { version: '1.9' })).body, { usages: { VCPU: 1 } });
    assert.deepEqual((await h.request('GET', '/usages?project_id=p&consumer_type=all', { version: '1.38' })).body.usages.all.VCPU, 1);
    assertFault(await h.request('GET', '/usages', { version: '1.9' }), 400, 'placement.query.bad_value');
    assertFault(await h.request('GET', '/usages?project_id=p&consumer_type=X', { version: '1.37' }), 400, 'placement.query.bad_value');
  });

  test('POST /allocations moves a claim between consumers atomically (resize)', async () => {
    const src = await computeNode(h, { vcpu: 2 });
    const dst = await computeNode(h, { vcpu: 2 });
    const server = randomUUID();
    const migration = randomUUID();
    assert.equal((await claim(h, server, src, { VCPU: 2 })).status, 204);
    // Move: the server's claim goes to the migration record on src, the server claims on dst.
    const move = await h.request('POST', '/allocations', {
      version: '1.28',
      body: {
        [migration]: { allocations: { [src]: { resources: { VCPU: 2 } } }, project_id: 'proj', user_id: 'user', consumer_generation: null },
        [server]: { allocations: { [dst]: { resources: { VCPU: 2 } } }, project_id: 'proj', user_id: 'user', consumer_generation: 1 },
      },
    });
    assert.equal(move.status, 204, move.text);
    assert.deepEqual(Object.keys((await h.request('GET', `/allocations/${server}`)).body.allocations), [dst]);
    assert.deepEqual(Object.keys((await h.request('GET', `/allocations/${migration}`)).body.allocations), [src]);
    // One failing consumer rolls back the whole request.
    const bad = await h.request('POST', '/allocations', {
      version: '1.28',
      body: {
        [migration]: { allocations: {}, project_id: 'proj', user_id: 'user', consumer_generation: 1 },
        [server]: { allocations: { [dst]: { resources: { VCPU: 3 } } }, project_id: 'proj', user_id: 'user', consumer_generation: 2 },
      },
    });
    assertFault(bad, 409);
    assert.deepEqual(Object.keys((await h.request('GET', `/allocations/${migration}`)).body.allocations), [src]);
    // Confirm: empty allocations delete the migration's claim.
    const confirm = await h.request('POST', '/allocations', {
      version: '1.28',
      body: { [migration]: { allocations: {}, project_id: 'proj', user_id: 'user', consumer_generation: 1 } },
    });
    assert.equal(confirm.status, 204, confirm.text);
    assert.deepEqual((await h.request('GET', `/allocations/${migration}`)).body, { allocations: {} });
    assertFault(await h.request('POST', '/allocations', { version: '1.13', body: {} }), 400);
  });

  test('concurrent claims for the last room: exactly the capacity is granted', async () => {
    const rp = await computeNode(h, { vcpu: 3 });
    const results = await Promise.all(Array.from({ length: 12 }, () => claim(h, randomUUID(), rp, { VCPU: 1 })));
    const ok = results.filter((r) => r.status === 204).length;
    assert.equal(ok, 3);
    for (const r of results.filter((x) => x.status !== 204)) assertFault(r, 409);
    assert.equal((await h.request('GET', `/resource_providers/${rp}/usages`)).body.usages.VCPU, 3);
  });
});

describe('reshaper', () => {
  test('moves VCPU inventory and its allocation to a child provider atomically (1.30)', async () => {
    const root = await computeNode(h, { vcpu: 8 });
    const child = (
      await h.request('POST', '/resource_providers', { version: '1.20', body: { name: `numa-${root}`, parent_provider_uuid: root } })
    ).body.uuid;
    const server = randomUUID();
    assert.equal((await claim(h, server, root, { VCPU: 2, MEMORY_MB: 128 })).status, 204);
    const rootInv = (await h.request('GET', `/resource_providers/${root}/inventories`)).body;
    const body = (childGen: number, rootGen: number, vcpuOnChild: number) => ({
      inventories: {
        [root]: {
          resource_provider_generation: rootGen,
          inventories: { MEMORY_MB: rootInv.inventories.MEMORY_MB, DISK_GB: rootInv.inventories.DISK_GB },
        },
        [child]: { resource_provider_generation: childGen, inventories: { VCPU: { total: vcpuOnChild } } },
      },
      allocations: {
        [server]: {
          allocations: { [root]: { resources: { MEMORY_MB: 128 } }, [child]: { resources: { VCPU: 2 } } },
          project_id: 'proj',
          user_id: 'user',
          consumer_generation: 1,
        },
      },
    });
    assertFault(await h.request('POST', '/reshaper', { version: '1.29', body: body(0, rootInv.resource_provider_generation, 8) }), 404);
    // A stale generation changes nothing.
    assertFault(
      await h.request('POST', '/reshaper', { version: '1.30', body: body(5, rootInv.resource_provider_generation, 8) }),
      409,
      'placement.concurrent_update',
    );
    // Dropping VCPU from the root without moving the allocation is refused as a whole.
    const stuck = body(0, rootInv.resource_provider_generation, 8);
    stuck.allocations[server]!.allocations = { [root]: { resources: { VCPU: 2, MEMORY_MB: 128 } } } as never;
    assertFault(await h.request('POST', '/reshaper', { version: '1.30', body: stuck }), 409);
    assert.ok((await h.request('GET', `/resource_providers/${root}/inventories`)).body.inventories.VCPU);
    const ok = await h.request('POST', '/reshaper', { version: '1.30', body: body(0, rootInv.resource_provider_generation, 8) });
    assert.equal(ok.status, 204, ok.text);
    assert.equal((await h.request('GET', `/resource_providers/${root}/inventories`)).body.inventories.VCPU, undefined);
    assert.deepEqual((await h.request('GET', `/allocations/${server}`)).body.allocations[child].resources, { VCPU: 2 });
    assertFault(await h.request('POST', '/reshaper', { version: '1.30', body: { inventories: {}, allocations: {}, extra: 1 } }), 400);
  });
});

describe('allocation candidates', () => {
  test('shape by microversion, capacity respected, limit', async () => {
    const rp = await computeNode(h, { vcpu: 1000, ram: 1_000_000, name: 'cand-huge' });
    const q = '/allocation_candidates?resources=VCPU:600,MEMORY_MB:512,DISK_GB:1';
    const v110 = await h.request('GET', q, { version: '1.10' });
    assert.deepEqual(v110.body.allocation_requests, [
      { allocations: [{ resource_provider: { uuid: rp }, resources: { VCPU: 600, MEMORY_MB: 512, DISK_GB: 1 } }] },
    ]);
    assert.deepEqual(v110.body.provider_summaries[rp], {
      resources: { VCPU: { capacity: 1000, used: 0 }, MEMORY_MB: { capacity: 1000000, used: 0 }, DISK_GB: { capacity: 100, used: 0 } },
    });
    const v112 = await h.request('GET', q, { version: '1.12' });
    assert.deepEqual(v112.body.allocation_requests, [{ allocations: { [rp]: { resources: { VCPU: 600, MEMORY_MB: 512, DISK_GB: 1 } } } }]);
    const v136 = await h.request('GET', q, { version: '1.36' });
    assert.deepEqual(v136.body.allocation_requests[0].mappings, { '': [rp] });
    assert.deepEqual(v136.body.provider_summaries[rp].traits, []);
    assert.equal(v136.body.provider_summaries[rp].root_provider_uuid, rp);
    assert.equal(v136.body.provider_summaries[rp].parent_provider_uuid, null);
    // Only the requested classes are summarised before 1.27.
    const v126 = await h.request('GET', '/allocation_candidates?resources=VCPU:600', { version: '1.26' });
    assert.deepEqual(Object.keys(v126.body.provider_summaries[rp].resources), ['VCPU']);
    assert.equal((await claim(h, randomUUID(), rp, { VCPU: 600 })).status, 204);
    assert.deepEqual((await h.request('GET', q, { version: '1.36' })).body.allocation_requests, []);
    const many = await h.request('GET', '/allocation_candidates?resources=VCPU:1&limit=2', { version: '1.16' });
    assert.equal(many.body.allocation_requests.length, 2);
    assertFault(
      await h.request('GET', '/allocation_candidates?resources=VCPU:1&limit=2', { version: '1.15' }),
      400,
      'placement.query.bad_value',
    );
    assertFault(
      await h.request('GET', '/allocation_candidates?resources=VCPU:1&limit=0', { version: '1.16' }),
      400,
      'placement.query.bad_value',
    );
  });

  test('required traits (1.17), forbidden (1.22), member_of (1.21), in_tree (1.31)', async () => {
    const a = await computeNode(h, { vcpu: 500, name: 'cand-a' });
    const b = await computeNode(h, { vcpu: 500, name: 'cand-b' });
    await h.request('PUT', `/resource_providers/${a}/traits`, {
      version: '1.6',
      body: { traits: ['STORAGE_DISK_SSD'], resource_provider_generation: 1 },
    });
    const agg = randomUUID();
    await h.request('PUT', `/resource_providers/${b}/aggregates`, {
      version: '1.19',
      body: { aggregates: [agg], resource_provider_generation: 1 },
    });
    const rps = async (q: string, version = '1.39') =>
      (
        (await h.request('GET', `/allocation_candidates?resources=VCPU:450&${q}`, { version })).body.allocation_requests as {
          allocations: object;
        }[]
      ).flatMap((r) => Object.keys(r.allocations));
    assert.deepEqual(await rps('required=STORAGE_DISK_SSD'), [a]);
    assertFault(
      await h.request('GET', '/allocation_candidates?resources=VCPU:1&required=CUSTOM_NEVER_DEFINED', { version: '1.17' }),
      400,
      'placement.query.bad_value',
    );
    assert.deepEqual(await rps('required=!STORAGE_DISK_SSD'), [b]);
    assert.deepEqual(await rps(`member_of=${agg}`), [b]);
    assert.deepEqual(await rps(`in_tree=${a}`), [a]);
    assertFault(
      await h.request('GET', '/allocation_candidates?resources=VCPU:1&required=STORAGE_DISK_SSD', { version: '1.16' }),
      400,
      'placement.query.bad_value',
    );
    assertFault(
      await h.request('GET', `/allocation_candidates?resources=VCPU:1&in_tree=${a}`, { version: '1.30' }),
      400,
      'placement.query.bad_value',
    );
    const summary = await h.request('GET', '/allocation_candidates?resources=VCPU:450&required=STORAGE_DISK_SSD', { version: '1.17' });
    assert.deepEqual(summary.body.provider_summaries[a].traits, ['STORAGE_DISK_SSD']);
  });

  test('granular groups on a tree: isolate puts each group on its own provider, mappings name them', async () => {
    const root = await computeNode(h, { vcpu: 300, name: 'gran-root' });
    const mk = async (name: string) => {
      const r = await h.request('POST', '/resource_providers', { version: '1.20', body: { name, parent_provider_uuid: root } });
      await h.request('PUT', `/resource_providers/${r.body.uuid}/inventories`, {
        body: { resource_provider_generation: 0, inventories: { SRIOV_NET_VF: { total: 4 } } },
      });
      return r.body.uuid as string;
    };
    const pf1 = await mk('gran-pf1');
    const pf2 = await mk('gran-pf2');
    const q = `/allocation_candidates?resources=VCPU:250&resources1=SRIOV_NET_VF:1&resources2=SRIOV_NET_VF:1&in_tree=${root}`;
    assertFault(await h.request('GET', q, { version: '1.34' }), 400, 'placement.query.bad_value');
    const iso = await h.request('GET', `${q}&group_policy=isolate`, { version: '1.34' });
    assert.equal(iso.status, 200, iso.text);
    const combos = iso.body.allocation_requests.map((r: { mappings: Record<string, string[]> }) =>
      [r.mappings['1']![0], r.mappings['2']![0]].sort().join(),
    );
    assert.deepEqual(combos.sort(), [[pf1, pf2].sort().join()]);
    assert.deepEqual(iso.body.allocation_requests[0].allocations[root], { resources: { VCPU: 250 } });
    assert.equal(iso.body.provider_summaries[pf1].parent_provider_uuid, root);
    const none = await h.request('GET', `${q}&group_policy=none`, { version: '1.34' });
    // With `none` both VFs may come from one PF: pf1+pf1, pf2+pf2 and the split.
    assert.equal(none.body.allocation_requests.length, 3);
    assertFault(await h.request('GET', `${q}&group_policy=isolate`, { version: '1.24' }), 400, 'placement.query.bad_value');
    assertFault(
      await h.request('GET', '/allocation_candidates?resourcesX=VCPU:1&group_policy=none', { version: '1.32' }),
      400,
      'placement.query.bad_value',
    );
    // The unsuffixed group spreads over the tree: VCPU from the root, a VF from either PF.
    const spread = await h.request('GET', `/allocation_candidates?resources=VCPU:250,SRIOV_NET_VF:4&in_tree=${root}`, { version: '1.34' });
    assert.equal(spread.body.allocation_requests.length, 2, spread.text);
    for (const r of spread.body.allocation_requests) {
      assert.deepEqual(r.allocations[root], { resources: { VCPU: 250 } });
      assert.equal(r.mappings[''].length, 2);
    }
    const named = await h.request('GET', `/allocation_candidates?resources_vf=SRIOV_NET_VF:1&in_tree_vf=${root}`, { version: '1.33' });
    assert.equal(named.body.allocation_requests.length, 2);
  });

  test('root_required (1.35) looks at the root provider; same_subtree (1.36) keeps groups under one provider', async () => {
    const root = await computeNode(h, { vcpu: 700, name: 'rr-root' });
    await h.request('PUT', `/resource_providers/${root}/traits`, {
      version: '1.6',
      body: { traits: ['COMPUTE_STATUS_DISABLED'], resource_provider_generation: 1 },
    });
    const q = `/allocation_candidates?resources=VCPU:650&in_tree=${root}`;
    assert.equal(
      (await h.request('GET', `${q}&root_required=!COMPUTE_STATUS_DISABLED`, { version: '1.35' })).body.allocation_requests.length,
      0,
    );
    assert.equal(
      (await h.request('GET', `${q}&root_required=COMPUTE_STATUS_DISABLED`, { version: '1.35' })).body.allocation_requests.length,
      1,
    );
    assertFault(
      await h.request('GET', `${q}&root_required=COMPUTE_STATUS_DISABLED`, { version: '1.34' }),
      400,
      'placement.query.bad_value',
    );
    const same = await h.request('GET', `/allocation_candidates?resources_a=VCPU:650&in_tree_a=${root}&same_subtree=_a`, {
      version: '1.36',
    });
    assert.equal(same.status, 200, same.text);
    assert.equal(same.body.allocation_requests.length, 1);
    assertFault(await h.request('GET', `${q}&same_subtree=_nope`, { version: '1.36' }), 400, 'placement.query.bad_value');
  });

  test('bad resources parameters are placement.query.bad_value', async () => {
    for (const q of [
      'resources=',
      'resources=VCPU',
      'resources=VCPU:0',
      'resources=VCPU:x',
      'resources=VCPU:1,VCPU:2',
      'limit=1',
      'bogus=1&resources=VCPU:1',
    ]) {
      assertFault(await h.request('GET', `/allocation_candidates?${q}`, { version: '1.36' }), 400, 'placement.query.bad_value');
    }
  });
});
