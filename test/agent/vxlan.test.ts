/**
 * Self-service networks across hypervisors, in a lab (GUIDE §5): two
 * simulated hosts h1 and h2 joined by a management veth (10.99.0.0/24), each
 * with a network bridge, a unicast VXLAN device and a "guest" namespace on
 * it (a veth standing in for a QEMU tap). Guests on the same segment ping
 * each other over VXLAN once each host floods to the other; a guest on
 * another segment (VNI) with an address in the same range cannot reach them.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { IpLinks } from '../../src/agent/host/ip-links.js';
import { NetnsLab, labUnavailable } from '../support/netns-lab.js';

const skip = (await labUnavailable()) ?? false;

describe('VXLAN between two simulated hosts', { skip }, () => {
  let lab: NetnsLab;
  const host = (n: string) => new IpLinks({ netns: lab.ns(n) });
  // Three tries: the first packet may be lost while neighbours (ARP inside, the tunnel peer outside) resolve.
  const pings = (from: string, to: string): Promise<boolean> =>
    lab.exec(from, ['ping', '-c', '3', '-i', '0.3', '-W', '1', to]).then(
      () => true,
      () => false,
    );

  /** A guest namespace `vm` with `ip`, plugged into bridge `bridge` of host `h` through veth `tap`. */
  async function guest(h: string, vm: string, tap: string, bridge: string, ip: string): Promise<void> {
    await host(h).ensureVeth(tap, 'eth0', { peerNetns: lab.ns(vm), master: bridge, mtu: 1450 });
    await host(vm).ensureAddress('eth0', `${ip}/24`);
  }

  before(async () => {
    lab = await NetnsLab.create(['h1', 'h2', 'vm1', 'vm2', 'vm3']);
    await host('h1').ensureVeth('mgmt1', 'mgmt2', { peerNetns: lab.ns('h2') });
    await host('h1').ensureAddress('mgmt1', '10.99.0.1/24');
    await host('h2').ensureAddress('mgmt2', '10.99.0.2/24');
    for (const [h, local] of [
      ['h1', '10.99.0.1'],
      ['h2', '10.99.0.2'],
    ] as const) {
      await host(h).ensureBridge('brq-net100', { mtu: 1450 });
      await host(h).ensureVxlan('vxlan-100', { vni: 100, local, master: 'brq-net100', mtu: 1450 });
    }
    await host('h2').ensureBridge('brq-net200', { mtu: 1450 });
    await host('h2').ensureVxlan('vxlan-200', { vni: 200, local: '10.99.0.2', master: 'brq-net200', mtu: 1450 });
    await guest('h1', 'vm1', 'tap-vm1', 'brq-net100', '203.0.113.11');
    await guest('h2', 'vm2', 'tap-vm2', 'brq-net100', '203.0.113.12');
    await guest('h2', 'vm3', 'tap-vm3', 'brq-net200', '203.0.113.13');
  });
  after(async () => {
    await lab?.destroy();
  });

  it('guests on one segment reach each other only once both hosts flood to each other', async () => {
    assert.equal(await pings('vm1', '203.0.113.12'), false, 'no forwarding entries yet');
    for (let i = 0; i < 2; i++) {
      await host('h1').ensureFloodList('vxlan-100', ['10.99.0.2']);
      await host('h2').ensureFloodList('vxlan-100', ['10.99.0.1']);
    }
    assert.deepEqual(await host('h1').floodList('vxlan-100'), ['10.99.0.2']);
    assert.equal(await pings('vm1', '203.0.113.12'), true);
    assert.equal(await pings('vm2', '203.0.113.11'), true);
  });

  it('another segment stays apart, and an emptied flood list cuts the tunnel', async () => {
    await host('h1').ensureVxlan('vxlan-200', { vni: 200, local: '10.99.0.1', mtu: 1450 });
    await host('h1').ensureFloodList('vxlan-200', ['10.99.0.2']);
    await host('h2').ensureFloodList('vxlan-200', ['10.99.0.1']);
    assert.equal(await pings('vm1', '203.0.113.13'), false, 'VNI 200 is another network');
    await host('h1').ensureFloodList('vxlan-100', []);
    await host('h2').ensureFloodList('vxlan-100', []);
    assert.deepEqual(await host('h1').floodList('vxlan-100'), []);
    // Neighbours learnt during the first test would answer from cache: ask for an address never used.
    await host('vm2').ensureAddress('eth0', '203.0.113.22/24');
    assert.equal(await pings('vm1', '203.0.113.22'), false);
    await assert.rejects(host('h1').ensureVxlan('vxlan-bad', { vni: 0, local: '10.99.0.1' }), /out of range/);
    await assert.rejects(host('h1').ensureFloodList('vxlan-100', ['10.99.0.2; reboot']), /invalid IP/);
  });
});
