/**
 * DHCP for a network, in a lab (GUIDE §5): dnsmasq in namespace "net" on a
 * veth to namespace "vm", where busybox udhcpc asks for a lease the way the
 * tiny guest does. A port's MAC gets its fixed address, gateway, DNS server
 * and MTU; a MAC with no port gets nothing; a new port is served after a
 * SIGHUP (same pid), a new subnet after a restart; stop ends the process.
 */
import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Dnsmasq, type DhcpState } from '../../src/agent/host/dnsmasq.js';
import { runCommand } from '../../src/agent/host/host-process.js';
import { IpLinks } from '../../src/agent/host/ip-links.js';
import { NetnsLab, labUnavailable } from '../support/netns-lab.js';

const unavailable = await labUnavailable();
const tools = await Promise.all([runCommand(['dnsmasq', '--version']), runCommand(['busybox', 'udhcpc', '--help'])]).then(
  () => undefined,
  () => 'dnsmasq (dnsmasq-base) and busybox are needed',
);
const skip = unavailable ?? (process.env.CI ? undefined : tools) ?? false;

const MAC_A = 'fa:16:3e:00:00:0a';
const MAC_B = 'fa:16:3e:00:00:0b';
const subnet = { tag: 'sub-1', cidr: '203.0.113.0/24', gateway: '203.0.113.1', dnsServers: ['198.51.100.53'], mtu: 1450 };

describe('dnsmasq per network in a namespace lab', { skip }, () => {
  let lab: NetnsLab;
  let dir: string;
  let script: string;
  let dhcp: Dnsmasq;

  /** One DHCP exchange from namespace "vm" with `mac`: the lease's fields, or undefined when none came. */
  async function lease(mac: string): Promise<Record<string, string> | undefined> {
    await lab.exec('vm', ['ip', 'link', 'set', 'veth-vm', 'address', mac]);
    const r = await lab
      .exec('vm', ['busybox', 'udhcpc', '-i', 'veth-vm', '-n', '-q', '-f', '-t', '3', '-T', '1', '-O', 'mtu', '-s', script], 20_000)
      .catch(() => undefined);
    const line = r?.stdout.split('\n').find((l) => l.startsWith('LEASE '));
    return line
      ? Object.fromEntries(
          line
            .slice(6)
            .split(' ')
            .map((kv) => kv.split('=') as [string, string]),
        )
      : undefined;
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kumo-dhcp-'));
    // dnsmasq rereads its files as nobody: the directory must be traversable.
    await chmod(dir, 0o755);
    script = join(dir, 'udhcpc.sh');
    await writeFile(
      script,
      '#!/bin/sh\n[ "$1" = bound ] && echo "LEASE ip=$ip router=$router dns=$dns mtu=$mtu hostname=$hostname"\nexit 0\n',
    );
    await chmod(script, 0o755);
    lab = await NetnsLab.create(['net', 'vm']);
    const net = new IpLinks({ netns: lab.ns('net') });
    await net.ensureVeth('veth-net', 'veth-vm', { peerNetns: lab.ns('vm') });
    await net.ensureAddress('veth-net', '203.0.113.2/24');
    dhcp = new Dnsmasq({ netns: lab.ns('net'), interface: 'veth-net', dir: join(dir, 'net-1') });
  });
  after(async () => {
    await dhcp?.stop();
    await lab?.destroy();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("gives a port's MAC its address, gateway, DNS and MTU, and nothing to an unknown MAC", async () => {
    const state: DhcpState = { subnets: [subnet], hosts: [{ mac: MAC_A, ip: '203.0.113.10', hostname: 'vm-a' }] };
    await dhcp.apply(state);
    const pid = await dhcp.pid();
    assert.ok(pid);
    lab.track(pid);
    assert.deepEqual(await lease(MAC_A), {
      ip: '203.0.113.10',
      router: '203.0.113.1',
      dns: '198.51.100.53',
      mtu: '1450',
      hostname: 'vm-a',
    });
    assert.equal(await lease(MAC_B), undefined);
    // The same state again: nothing to do, same process.
    await dhcp.apply(state);
    assert.equal(await dhcp.pid(), pid);
  });

  it('serves a new port after a reload (same pid) and a new subnet after a restart; stop ends it', async () => {
    const before = await dhcp.pid();
    await dhcp.apply({
      subnets: [subnet],
      hosts: [
        { mac: MAC_A, ip: '203.0.113.10', hostname: 'vm-a' },
        { mac: MAC_B, ip: '203.0.113.11', hostname: 'vm-b' },
      ],
    });
    assert.equal(await dhcp.pid(), before);
    assert.equal((await lease(MAC_B))?.ip, '203.0.113.11');

    await new IpLinks({ netns: lab.ns('net') }).ensureAddress('veth-net', '10.20.0.2/24');
    await dhcp.apply({
      subnets: [subnet, { tag: 'sub-2', cidr: '10.20.0.0/24', gateway: null, dnsServers: [] }],
      hosts: [{ mac: MAC_B, ip: '10.20.0.5', hostname: 'vm-b' }],
    });
    const after = await dhcp.pid();
    assert.ok(after && after !== before);
    lab.track(after);
    const l = await lease(MAC_B);
    assert.equal(l?.ip, '10.20.0.5');
    assert.equal(l?.router, '', 'no gateway, no default route');
    await dhcp.stop();
    assert.equal(await dhcp.pid(), undefined);
  });

  it('an address freed by a deleted port goes to the next port given it (its old lease is dropped)', async () => {
    const ip = '203.0.113.20';
    await dhcp.apply({ subnets: [subnet], hosts: [{ mac: MAC_A, ip, hostname: 'vm-a' }] });
    lab.track((await dhcp.pid())!);
    assert.equal((await lease(MAC_A))?.ip, ip);
    // Port A deleted, port B created with the same address (Neutron hands freed addresses out again).
    await dhcp.apply({ subnets: [subnet], hosts: [{ mac: MAC_B, ip, hostname: 'vm-b' }] });
    lab.track((await dhcp.pid())!);
    assert.equal((await lease(MAC_B))?.ip, ip);
    await dhcp.stop();
  });

  it('refuses entries dnsmasq would misread', async () => {
    const bad = new Dnsmasq({ interface: 'veth-x', dir: join(dir, 'bad') });
    await assert.rejects(
      bad.apply({ subnets: [subnet], hosts: [{ mac: 'FA:16:3E:00:00:01,x', ip: '203.0.113.9', hostname: 'a' }] }),
      /MAC/,
    );
    await assert.rejects(bad.apply({ subnets: [subnet], hosts: [{ mac: MAC_A, ip: '203.0.113.300', hostname: 'a' }] }), /IPv4/);
    await assert.rejects(bad.apply({ subnets: [subnet], hosts: [{ mac: MAC_A, ip: '203.0.113.9', hostname: 'a b' }] }), /host name/);
    await assert.rejects(bad.apply({ subnets: [{ ...subnet, tag: 'x,y' }], hosts: [] }), /tag/);
    assert.throws(() => new Dnsmasq({ interface: 'way-too-long-name', dir }), /invalid link name/);
  });
});
