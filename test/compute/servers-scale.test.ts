import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { statusOf } from '../../src/compute/domain/instance-states.js';
import type { NewInstance } from '../../src/compute/store/server-store.js';
import { startServersHarness, type ServersHarness } from './servers-fixtures.js';

const COUNT = 10_000;

function row(i: number, projectId: string): NewInstance {
  const now = new Date(Date.UTC(2026, 0, 1, 0, 0, 0, i)).toISOString();
  return {
    uuid: crypto.randomUUID(),
    project_id: projectId,
    user_id: 'u-alice',
    display_name: `bulk-${i}`,
    display_description: null,
    hostname: `bulk-${i}`,
    host: 'host-1',
    node: 'host-1',
    vcpus: 1,
    memory_mb: 64,
    root_gb: 1,
    ephemeral_gb: 0,
    vm_state: 'active',
    task_state: null,
    power_state: 1,
    status: statusOf('active', null),
    availability_zone: 'nova',
    flavor: JSON.stringify({ flavorId: '1', name: 'f-1', vcpus: 1, memoryMb: 64, rootGb: 1, ephemeralGb: 0, swapMb: 0, extraSpecs: {} }),
    flavor_id: '1',
    image_ref: '70a599e0-31e7-49b7-b260-868f441e862b',
    image: null,
    key_name: null,
    key_data: null,
    user_data: null,
    config_drive: 0,
    launch_index: 0,
    reservation_id: 'r-bulk',
    locked: 0,
    locked_by: null,
    locked_reason: null,
    access_ip_v4: null,
    access_ip_v6: null,
    auto_disk_config: 0,
    security_groups: '["default"]',
    scheduling: '{"hints":{},"requestedAz":null,"excludedHosts":[],"attempts":1,"requestId":"req-x"}',
    network_info: null,
    password: null,
    progress: 100,
    launched_at: now,
    terminated_at: null,
    deleted: 0,
    created_at: now,
    updated_at: now,
    deleted_at: null,
  };
}

describe('server list at scale', () => {
  let h: ServersHarness;
  before(async () => {
    h = await startServersHarness();
    for (let b = 0; b < COUNT; b += 500) {
      await h.services.servers.store.insert(
        Array.from({ length: 500 }, (_, i) => row(b + i, 'p1')),
        { role: 'web', tier: 'front' },
      );
    }
  });
  after(async () => {
    await h?.close();
  });

  // Speed is measured by bench/compute (docs/benchmarks.md); this checks that paging is complete and exact.
  it(`pages GET /servers/detail over ${COUNT} servers: every server once, in order, with next links`, async () => {
    let path = '/servers/detail';
    const seen: string[] = [];
    let pages = 0;
    for (;;) {
      const r = await h.call('GET', path);
      assert.equal(r.status, 200);
      pages++;
      seen.push(...r.body.servers.map((x: { name: string }) => x.name));
      const next = r.body.servers_links?.[0]?.href;
      if (!next) break;
      path = `/servers/detail${new URL(next).search}`;
    }
    assert.equal(pages, COUNT / 1000 + 1, 'ten full pages and an empty last one');
    assert.equal(new Set(seen).size, COUNT);
    // Newest first (created_at desc): bulk-9999 ... bulk-0.
    assert.deepEqual(seen.slice(0, 2), ['bulk-9999', 'bulk-9998']);
    assert.equal(seen[COUNT - 1], 'bulk-0');
    const idx = await h.call('GET', '/servers?limit=1000&sort_key=display_name&sort_dir=asc');
    assert.equal(idx.body.servers.length, 1000);
    const names = idx.body.servers.map((x: { name: string }) => x.name);
    assert.deepEqual(names, [...names].sort());
  });
});
