/**
 * A real guest on a real (lab) network: the tiny guest image under QEMU/TCG
 * with a virtio NIC on a tap of a Linux bridge, DHCP from dnsmasq in its own
 * namespace (as Neutron's qdhcp), security groups on the tap. Everything is
 * inside namespaces this file creates (GUIDE §5); QEMU and dnsmasq are ended
 * by pid and the namespaces deleted afterwards, also on failure.
 */
import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { tapNics } from '../../src/agent/compute/qemu/qemu-nics.js';
import { Dnsmasq } from '../../src/agent/host/dnsmasq.js';
import { runCommand } from '../../src/agent/host/host-process.js';
import { IpLinks } from '../../src/agent/host/ip-links.js';
import { applySecurityGroups, type PortFirewall } from '../../src/agent/network/security-groups.js';
import { bootGuest, ensureGuestImage, type BootedGuest } from '../support/guest-image.js';
import { NetnsLab, labUnavailable } from '../support/netns-lab.js';
import { onPath } from '../support/kumo-cli.js';

const unavailable = await labUnavailable();
const skip = unavailable ?? (!onPath('qemu-system-x86_64') && !process.env.CI ? 'QEMU is not installed' : undefined) ?? false;

const MAC = 'fa:16:3e:4b:00:10';
const GUEST_IP = '203.0.113.10';

describe('a QEMU guest on a lab network: DHCP, ping, security groups', { skip, timeout: 300_000 }, () => {
  let lab: NetnsLab;
  let dir: string;
  let guest: BootedGuest | undefined;
  let dhcp: Dnsmasq;
  const port: PortFirewall = {
    tap: 'tap-g1',
    mac: MAC,
    ips: [GUEST_IP],
    portSecurity: true,
    rules: [{ direction: 'egress', protocol: null }],
  };
  const pings = (): Promise<boolean> =>
    lab.exec('dhcp', ['ping', '-c', '3', '-i', '0.3', '-W', '1', GUEST_IP]).then(
      () => true,
      () => false,
    );

  before(async () => {
    const image = await ensureGuestImage();
    dir = await mkdtemp(join(tmpdir(), 'kumo-guest-net-'));
    await chmod(dir, 0o755);
    lab = await NetnsLab.create(['host', 'dhcp']);
    const host = new IpLinks({ netns: lab.ns('host') });
    await host.ensureBridge('brq-g');
    await host.ensureTap('tap-g1', { master: 'brq-g' });
    await host.ensureVeth('ns-dhcp', 'eth0', { peerNetns: lab.ns('dhcp'), master: 'brq-g' });
    await new IpLinks({ netns: lab.ns('dhcp') }).ensureAddress('eth0', '203.0.113.2/24');
    dhcp = new Dnsmasq({ netns: lab.ns('dhcp'), interface: 'eth0', dir: join(dir, 'dhcp') });
    await dhcp.apply({
      subnets: [{ tag: 'sub', cidr: '203.0.113.0/24', gateway: '203.0.113.1', dnsServers: [] }],
      hosts: [{ mac: MAC, ip: GUEST_IP, hostname: 'lab-guest' }],
    });
    lab.track((await dhcp.pid())!);
    // Egress only: nothing may reach the guest yet.
    await applySecurityGroups([port], { netns: lab.ns('host') });
    const nics = tapNics([{ portId: 'p1', networkId: 'n1', macAddress: MAC, fixedIps: [], mtu: 1500, vifDetails: { tap: 'tap-g1' } }]);
    guest = await bootGuest(image, nics, { netns: lab.ns('host') });
    lab.track(guest.pid);
  });
  after(async () => {
    await guest?.kill();
    await dhcp?.stop();
    await lab?.destroy();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('the guest takes its fixed address from DHCP and boots to its login prompt', async () => {
    const serial = await guest!.waitForSerial(/login:/, 180_000);
    assert.match(serial, new RegExp(`lease of ${GUEST_IP.replaceAll('.', '\\.')} obtained|${GUEST_IP.replaceAll('.', '\\.')}`));
    const leases = await runCommand(['cat', join(dir, 'dhcp', 'leases')]);
    assert.match(leases.stdout, new RegExp(`${MAC} ${GUEST_IP.replaceAll('.', '\\.')} lab-guest`));
  });

  it('ping reaches it only once its security group allows ICMP in', async () => {
    assert.equal(await pings(), false);
    port.rules = [...port.rules, { direction: 'ingress', protocol: 'icmp' }];
    await applySecurityGroups([port], { netns: lab.ns('host') });
    assert.equal(await pings(), true);
  });
});
