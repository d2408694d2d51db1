/**
 * Security groups on a bridge, in a lab (GUIDE §5): namespace "host" holds
 * the bridge and the firewall; guests vm1 (10.0.0.11), vm2 (10.0.0.12) and
 * vm3 (10.0.0.13) hang on it through veths standing in for taps. Ingress is
 * denied by default, a rule opens ICMP (from anywhere or from one prefix),
 * replies pass statefully, a guest that changes its address is cut off,
 * and a port with port security off is not filtered at all.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runCommand } from '../../src/agent/host/host-process.js';
import { IpLinks } from '../../src/agent/host/ip-links.js';
import { applySecurityGroups, securityGroupState, type PortFirewall, type SgRule } from '../../src/agent/network/security-groups.js';
import { NetnsLab, labUnavailable } from '../support/netns-lab.js';

const unavailable = await labUnavailable();
const noIptables = await runCommand(['iptables-restore', '--version']).then(
  () => undefined,
  () => 'iptables is not installed (apt-get install iptables)',
);
const skip = unavailable ?? (process.env.CI ? undefined : noIptables) ?? false;

const egressAll: SgRule = { direction: 'egress', protocol: null };
const icmpIn: SgRule = { direction: 'ingress', protocol: 'icmp' };

describe('security groups on a lab bridge', { skip }, () => {
  let lab: NetnsLab;
  const ports: Record<string, PortFirewall> = {};
  const pings = (from: string, to: string): Promise<boolean> =>
    lab.exec(from, ['ping', '-c', '3', '-i', '0.3', '-W', '1', to]).then(
      () => true,
      () => false,
    );
  const apply = (list: PortFirewall[]) => applySecurityGroups(list, { netns: lab.ns('host') });

  before(async () => {
    lab = await NetnsLab.create(['host', 'vm1', 'vm2', 'vm3']);
    const host = new IpLinks({ netns: lab.ns('host') });
    await host.ensureBridge('brq-sg');
    for (const n of [1, 2, 3]) {
      const mac = `fa:16:3e:00:00:1${n}`;
      await host.ensureVeth(`tap-vm${n}`, 'eth0', { peerNetns: lab.ns(`vm${n}`), master: 'brq-sg' });
      await lab.exec(`vm${n}`, ['ip', 'link', 'set', 'eth0', 'address', mac]);
      await new IpLinks({ netns: lab.ns(`vm${n}`) }).ensureAddress('eth0', `10.0.0.1${n}/24`);
      ports[`vm${n}`] = { tap: `tap-vm${n}`, mac, ips: [`10.0.0.1${n}`], portSecurity: true, rules: [egressAll] };
    }
  });
  after(async () => {
    await lab?.destroy();
  });

  it('denies ingress by default and opens ICMP with a rule; replies pass statefully', async () => {
    assert.equal(await pings('vm1', '10.0.0.12'), true, 'no firewall yet');
    await apply(Object.values(ports));
    assert.equal(await pings('vm1', '10.0.0.12'), false);
    ports.vm2!.rules = [egressAll, icmpIn];
    await apply(Object.values(ports));
    await apply(Object.values(ports));
    // vm1 has no ingress rule, yet vm2's replies reach it: they belong to vm1's own flow.
    assert.equal(await pings('vm1', '10.0.0.12'), true);
    assert.equal(await pings('vm2', '10.0.0.11'), false);
  });

  it('limits a rule to a prefix, or to the members of a remote group', async () => {
    ports.vm2!.rules = [egressAll, { ...icmpIn, remoteIpPrefix: '10.0.0.11/32' }];
    await apply(Object.values(ports));
    assert.equal(await pings('vm1', '10.0.0.12'), true);
    assert.equal(await pings('vm3', '10.0.0.12'), false);
    ports.vm2!.rules = [egressAll, { ...icmpIn, remoteIps: ['10.0.0.13'] }];
    await apply(Object.values(ports));
    assert.equal(await pings('vm3', '10.0.0.12'), true);
    assert.equal(await pings('vm1', '10.0.0.12'), false);
  });

  it('cuts off a guest that spoofs another address, unless it is an allowed address pair', async () => {
    ports.vm2!.rules = [egressAll, icmpIn];
    await apply(Object.values(ports));
    // Deleting the primary address first: Linux would take a secondary in the same subnet with it.
    await lab.exec('vm1', ['ip', 'address', 'del', '10.0.0.11/24', 'dev', 'eth0']);
    await lab.exec('vm1', ['ip', 'address', 'add', '10.0.0.99/24', 'dev', 'eth0']);
    assert.equal(await pings('vm1', '10.0.0.12'), false);
    ports.vm1!.allowedAddressPairs = [{ ip: '10.0.0.99' }];
    await apply(Object.values(ports));
    assert.equal(await pings('vm1', '10.0.0.12'), true);
  });

  it('does not filter a port with port security off, and removes every chain when no port is left', async () => {
    ports.vm2!.rules = [egressAll];
    ports.vm2!.portSecurity = false;
    await apply(Object.values(ports));
    assert.equal(await pings('vm1', '10.0.0.12'), true);
    assert.ok(!(await lab.exec('host', ['iptables-save', '-t', 'filter'])).stdout.includes('kumo-sg-i-tap-vm2'));
    await apply([]);
    assert.ok(!(await lab.exec('host', ['iptables-save', '-t', 'filter'])).stdout.includes('kumo-sg'));
  });

  it('refuses what would not be a valid rule', () => {
    const bad = (p: Partial<PortFirewall>) => () => securityGroupState([{ ...ports.vm3!, portSecurity: true, ...p }]);
    assert.throws(bad({ mac: 'nope' }), /invalid MAC/);
    assert.throws(bad({ ips: ['10.0.0.1; reboot'] }), /invalid IPv4/);
    assert.throws(bad({ tap: 'a-tap-name-too-long' }), /invalid tap/);
    assert.throws(bad({ rules: [{ direction: 'ingress', protocol: 'tcp', remoteIpPrefix: 'any' }] }), /invalid remote/);
  });
});
