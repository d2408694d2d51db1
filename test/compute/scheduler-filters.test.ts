import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Scheduler, flavorResources, type RequestSpec } from '../../src/compute/domain/scheduler.js';
import { FakePlacement, FakeResources } from './servers-fixtures.js';

const spec = (over: Partial<RequestSpec> = {}): RequestSpec => ({
  uuid: crypto.randomUUID(),
  projectId: 'p1',
  userId: 'u1',
  resources: { VCPU: 1, MEMORY_MB: 512, DISK_GB: 1 },
  availabilityZone: null,
  excludedHosts: [],
  imageProperties: {},
  ...over,
});

function twoHosts() {
  const resources = new FakeResources();
  resources.hostList = [
    { host: 'a', node: 'a', providerUuid: 'rp-a', availabilityZone: 'nova', enabled: true, up: true },
    { host: 'b', node: 'b', providerUuid: 'rp-b', availabilityZone: 'zone-b', enabled: true, up: true },
  ];
  const placement = new FakePlacement();
  placement.inventory = new Map([
    ['rp-a', { VCPU: 8, MEMORY_MB: 4096, DISK_GB: 50 }],
    ['rp-b', { VCPU: 4, MEMORY_MB: 8192, DISK_GB: 50 }],
  ]);
  const hostsOf = new Map<string, string>();
  const scheduler = new Scheduler(placement, resources, async (uuids) => uuids.map((u) => hostsOf.get(u)).filter((h): h is string => !!h));
  return { resources, placement, scheduler, hostsOf };
}

describe('scheduler', () => {
  it('counts swap in DISK_GB rounded up and leaves out zero disk', () => {
    assert.deepEqual(flavorResources({ vcpus: 2, memoryMb: 256, rootGb: 1, ephemeralGb: 1, swapMb: 1 }), {
      VCPU: 2,
      MEMORY_MB: 256,
      DISK_GB: 3,
    });
    assert.deepEqual(flavorResources({ vcpus: 1, memoryMb: 64, rootGb: 0, ephemeralGb: 0, swapMb: 0 }), { VCPU: 1, MEMORY_MB: 64 });
  });

  it('weighs by free RAM and claims with consumer_generation null', async () => {
    const { scheduler, placement } = twoHosts();
    const s = spec();
    const sel = await scheduler.selectAndClaim(s);
    assert.equal(sel?.host, 'b');
    assert.equal(placement.allocations.get(s.uuid)?.rp, 'rp-b');
  });

  it('tries the next candidate on a 409 and honours zones, exclusions, disabled and down hosts', async () => {
    const { scheduler, placement, resources } = twoHosts();
    const s = spec();
    placement.conflictOnce.add(s.uuid);
    assert.equal((await scheduler.selectAndClaim(s))?.host, 'a');
    assert.equal((await scheduler.selectAndClaim(spec({ availabilityZone: 'nova' })))?.host, 'a');
    assert.equal((await scheduler.selectAndClaim(spec({ excludedHosts: ['b'] })))?.host, 'a');
    assert.equal((await scheduler.selectAndClaim(spec({ forcedHost: 'a' })))?.host, 'a');
    resources.hostList[1]!.up = false;
    assert.equal((await scheduler.selectAndClaim(spec()))?.host, 'a');
    resources.hostList[0]!.enabled = false;
    assert.equal(await scheduler.selectAndClaim(spec()), undefined);
    assert.equal(await scheduler.selectAndClaim(spec({ resources: { VCPU: 1, MEMORY_MB: 999_999 } })), undefined);
    assert.equal(await scheduler.selectAndClaim(spec({ imageProperties: { hw_architecture: 'aarch64' } })), undefined);
  });

  it('applies server group affinity and anti-affinity', async () => {
    const { scheduler, resources, hostsOf } = twoHosts();
    const first = crypto.randomUUID();
    hostsOf.set(first, 'a');
    const s = spec();
    resources.groups.set('g', {
      id: 'g',
      name: 'g',
      projectId: 'p1',
      userId: 'u1',
      policy: 'affinity',
      rules: {},
      members: [first, s.uuid],
    });
    assert.equal((await scheduler.selectAndClaim(s))?.host, 'a');
    const s2 = spec();
    resources.groups.set('g', {
      id: 'g',
      name: 'g',
      projectId: 'p1',
      userId: 'u1',
      policy: 'anti-affinity',
      rules: {},
      members: [first, s2.uuid],
    });
    assert.equal((await scheduler.selectAndClaim(s2))?.host, 'b');
    hostsOf.set(crypto.randomUUID(), 'b');
    const s3 = spec();
    resources.groups.set('g', {
      id: 'g',
      name: 'g',
      projectId: 'p1',
      userId: 'u1',
      policy: 'anti-affinity',
      rules: {},
      members: [first, ...[...hostsOf.keys()].filter((k) => k !== first), s3.uuid],
    });
    assert.equal(await scheduler.selectAndClaim(s3), undefined);
  });

  it('releases idempotently', async () => {
    const { scheduler, placement } = twoHosts();
    const s = spec();
    await scheduler.selectAndClaim(s);
    await scheduler.release(s.uuid);
    await scheduler.release(s.uuid);
    assert.equal(placement.allocations.size, 0);
  });
});
