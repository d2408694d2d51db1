/**
 * Desired-state firewall, in a lab of two namespaces joined by a veth
 * (203.0.113.1 "fw" ↔ 203.0.113.2 "peer"): Kumo's chains block and allow
 * ping as the state says, applying a state twice changes nothing, and a rule
 * that is not Kumo's survives every apply, including the empty state that
 * removes all of Kumo's chains.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { IpLinks } from '../../src/agent/host/ip-links.js';
import { Iptables, type FirewallState } from '../../src/agent/host/iptables.js';
import { runCommand } from '../../src/agent/host/host-process.js';
import { NetnsLab, labUnavailable } from '../support/netns-lab.js';

const unavailable = await labUnavailable();
const noIptables = await runCommand(['iptables-restore', '--version']).then(
  () => undefined,
  () => 'iptables is not installed (apt-get install iptables)',
);
const skip = unavailable ?? (process.env.CI ? undefined : noIptables) ?? false;

const FOREIGN = '-s 198.51.100.7/32 -j ACCEPT';

const blockPing: FirewallState = {
  filter: {
    chains: { 'kumo-in': ['-p icmp -j kumo-icmp', '-j RETURN'], 'kumo-icmp': ['-s 203.0.113.2/32 -j DROP'] },
    jumps: [{ chain: 'INPUT', rule: '-j kumo-in' }],
  },
};
const allowPing: FirewallState = {
  filter: { chains: { 'kumo-in': ['-p icmp -j ACCEPT'] }, jumps: [{ chain: 'INPUT', rule: '-j kumo-in' }] },
};

describe('desired-state iptables in a namespace lab', { skip }, () => {
  let lab: NetnsLab;
  let fw: Iptables;
  const pings = async (): Promise<boolean> =>
    lab.exec('peer', ['ping', '-c', '3', '-i', '0.3', '-W', '1', '203.0.113.1']).then(
      () => true,
      () => false,
    );
  const saved = async (): Promise<string[]> => (await fw.save('filter')).rules;

  before(async () => {
    lab = await NetnsLab.create(['fw', 'peer']);
    const links = new IpLinks({ netns: lab.ns('fw') });
    await links.ensureVeth('veth-fw', 'veth-peer', { peerNetns: lab.ns('peer') });
    await links.ensureAddress('veth-fw', '203.0.113.1/24');
    await new IpLinks({ netns: lab.ns('peer') }).ensureAddress('veth-peer', '203.0.113.2/24');
    fw = new Iptables({ netns: lab.ns('fw') });
    // A rule that is not Kumo's, already there.
    await lab.exec('fw', ['iptables', '-A', 'INPUT', ...FOREIGN.split(' ')]);
  });
  after(async () => {
    await lab?.destroy();
  });

  it('blocks, then allows, ping as the state says; the same state twice changes nothing', async () => {
    assert.equal(await pings(), true);
    await fw.apply(blockPing);
    assert.equal(await pings(), false);
    const once = await saved();
    await fw.apply(blockPing);
    assert.deepEqual(await saved(), once);
    assert.deepEqual(once, [
      'INPUT -j kumo-in',
      `INPUT ${FOREIGN}`,
      'kumo-icmp -s 203.0.113.2/32 -j DROP',
      'kumo-in -p icmp -j kumo-icmp',
      'kumo-in -j RETURN',
    ]);
    await fw.apply(allowPing);
    assert.equal(await pings(), true);
    // kumo-icmp is no longer in the state: gone.
    assert.deepEqual(
      (await fw.save('filter')).chains.filter((c) => c.startsWith('kumo-')),
      ['kumo-in'],
    );
  });

  it('an empty table state removes every chain and jump of ours and keeps the foreign rule', async () => {
    await fw.apply(blockPing);
    await fw.apply({});
    assert.equal((await saved()).length, 5, 'a table the state leaves out is not touched');
    await fw.apply({ filter: { chains: {}, jumps: [] } });
    assert.deepEqual(await saved(), [`INPUT ${FOREIGN}`]);
    assert.deepEqual((await fw.save('filter')).chains, ['INPUT', 'FORWARD', 'OUTPUT']);
    assert.equal(await pings(), true);
    assert.equal(await fw.plan({ filter: { chains: {}, jumps: [] } }), '', 'nothing left to do');
  });

  it('refuses chains that are not ours and rules that could smuggle restore syntax', async () => {
    await assert.rejects(fw.apply({ filter: { chains: { INPUT: ['-j DROP'] }, jumps: [] } }), /not one of ours/);
    await assert.rejects(fw.apply({ filter: { chains: { 'kumo-x': ['-j DROP\nCOMMIT'] }, jumps: [] } }), /misread/);
    await assert.rejects(fw.apply({ filter: { chains: {}, jumps: [{ chain: 'INPUT', rule: '-j DROP' }] } }), /one of our chains/);
    await assert.rejects(fw.apply({ filter: { chains: {}, jumps: [{ chain: 'kumo-x', rule: '-j kumo-y' }] } }), /built-in/);
    assert.deepEqual(await saved(), [`INPUT ${FOREIGN}`]);
  });
});
