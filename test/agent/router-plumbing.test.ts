/**
 * A router in a lab (GUIDE §5). Namespace "host" holds the external bridge
 * (203.0.113.0/24, whose upstream gateway .1 is namespace "outside") and a
 * self-service network's bridge (10.0.0.0/24, guest namespace "vm" at .5).
 * The router namespace gets a gateway leg (.50) and an internal leg (.1):
 * the guest reaches the outside through SNAT (the outside has no route to
 * 10.0.0.0/24, so a reply proves the translation), the outside reaches the
 * guest through its floating IP (.51) until it is released, and removal
 * leaves no namespace or leg behind.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { IpLinks, listNetns } from '../../src/agent/host/ip-links.js';
import { runCommand } from '../../src/agent/host/host-process.js';
import { RouterPlumbing, type RouterSpec } from '../../src/agent/network/router-plumbing.js';
import { NetnsLab, labUnavailable } from '../support/netns-lab.js';

const unavailable = await labUnavailable();
const noIptables = await runCommand(['iptables-restore', '--version']).then(
  () => undefined,
  () => 'iptables is not installed (apt-get install iptables)',
);
const skip = unavailable ?? (process.env.CI ? undefined : noIptables) ?? false;

describe('router namespace with SNAT and a floating IP', { skip }, () => {
  let lab: NetnsLab;
  let router: RouterPlumbing;
  let spec: RouterSpec;
  const links = (n: string) => new IpLinks({ netns: lab.ns(n) });
  /** One answer of up to five is enough (the first may wait on ARP on a loaded machine); bounded to about 3 s. */
  const pings = (from: string, to: string): Promise<boolean> =>
    lab.exec(from, ['ping', '-i', '0.3', '-W', '1', '-w', '3', to]).then(
      () => true,
      () => false,
    );

  before(async () => {
    lab = await NetnsLab.create(['host', 'outside', 'vm']);
    await lab.add('router');
    const host = links('host');
    await host.ensureBridge('br-ext');
    await host.ensureBridge('brq-net1');
    await host.ensureVeth('ext-up', 'eth0', { peerNetns: lab.ns('outside'), master: 'br-ext' });
    await links('outside').ensureAddress('eth0', '203.0.113.1/24');
    await host.ensureVeth('tap-vm', 'eth0', { peerNetns: lab.ns('vm'), master: 'brq-net1' });
    await links('vm').ensureAddress('eth0', '10.0.0.5/24');
    await lab.exec('vm', ['ip', 'route', 'add', 'default', 'via', '10.0.0.1']);
    router = new RouterPlumbing({ hostNetns: lab.ns('host') });
    spec = {
      netns: lab.ns('router'),
      gateway: { iface: 'qg-r1', hostIface: 'rg-r1', bridge: 'br-ext', cidr: '203.0.113.50/24', nexthop: '203.0.113.1', snat: true },
      interfaces: [{ iface: 'qr-p1', hostIface: 'ri-p1', bridge: 'brq-net1', cidr: '10.0.0.1/24' }],
      floatingIps: [],
    };
  });
  after(async () => {
    await lab?.destroy();
  });

  it('routes the guest out through SNAT; applying twice changes nothing', async () => {
    await router.apply(spec);
    await router.apply(spec, spec);
    assert.equal(await pings('vm', '203.0.113.1'), true);
    assert.deepEqual(await links('router').addresses('qg-r1'), ['203.0.113.50/24']);
  });

  it('a floating IP reaches the guest from outside until it is released', async () => {
    assert.equal(await pings('outside', '203.0.113.51'), false);
    const withFip = { ...spec, floatingIps: [{ floating: '203.0.113.51', fixed: '10.0.0.5' }] };
    await router.apply(withFip, spec);
    assert.equal(await pings('outside', '203.0.113.51'), true);
    assert.deepEqual((await links('router').addresses('qg-r1')).sort(), ['203.0.113.50/24', '203.0.113.51/32']);
    await router.apply(spec, withFip);
    assert.equal(await pings('outside', '203.0.113.51'), false);
    assert.deepEqual(await links('router').addresses('qg-r1'), ['203.0.113.50/24']);
  });

  it('without SNAT the outside cannot answer; a removed interface takes its leg away', async () => {
    const noSnat = { ...spec, gateway: { ...spec.gateway!, snat: false } };
    await router.apply(noSnat, spec);
    assert.equal(await pings('vm', '203.0.113.1'), false);
    const noIface = { ...spec, interfaces: [] };
    await router.apply(noIface, noSnat);
    assert.equal(await links('host').get('ri-p1'), undefined);
    assert.equal(await links('router').get('qr-p1'), undefined);
  });

  it('remove leaves no namespace and no leg', async () => {
    await router.remove(spec);
    assert.ok(!(await listNetns()).includes(spec.netns));
    assert.equal(await links('host').get('rg-r1'), undefined);
  });
});
