/**
 * The agent's link plumbing, in a lab of network namespaces this file
 * creates (GUIDE §5): bridges, taps, veth pairs across namespaces and
 * addresses are made idempotently, a documentation-range address answers
 * ping across the veth, and nothing appears in the root namespace or stays
 * behind after teardown.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { IpLinks, checkLinkName } from '../../src/agent/host/ip-links.js';
import { NetnsLab, labUnavailable } from '../support/netns-lab.js';

const skip = (await labUnavailable()) ?? false;

describe('ip links in a namespace lab', { skip }, () => {
  let lab: NetnsLab;
  let rootBefore: string[];
  before(async () => {
    rootBefore = (await new IpLinks().list()).map((l) => l.name).sort();
    lab = await NetnsLab.create(['host', 'peer']);
  });
  after(async () => {
    await lab?.destroy();
  });

  it('makes a bridge, a tap on it and a veth to another namespace, each once, however often asked', async () => {
    const host = new IpLinks({ netns: lab.ns('host') });
    for (let i = 0; i < 2; i++) {
      await host.ensureBridge('brq-test', { mtu: 1450 });
      await host.ensureTap('tap-test', { master: 'brq-test', mtu: 1450 });
      await host.ensureVeth('veth-h', 'veth-p', { peerNetns: lab.ns('peer'), master: 'brq-test', mtu: 1450 });
      await host.ensureAddress('brq-test', '203.0.113.1/24');
    }
    const links = await host.list();
    const byName = new Map(links.map((l) => [l.name, l]));
    assert.deepEqual(links.map((l) => l.name).sort(), ['brq-test', 'lo', 'tap-test', 'veth-h']);
    assert.equal(byName.get('brq-test')?.kind, 'bridge');
    assert.equal(byName.get('brq-test')?.mtu, 1450);
    assert.equal(byName.get('brq-test')?.up, true);
    assert.equal(byName.get('tap-test')?.kind, 'tun');
    assert.equal(byName.get('tap-test')?.master, 'brq-test');
    assert.equal(byName.get('veth-h')?.master, 'brq-test');
    assert.deepEqual(await host.addresses('brq-test'), ['203.0.113.1/24']);

    const peer = new IpLinks({ netns: lab.ns('peer') });
    const p = await peer.get('veth-p');
    assert.equal(p?.kind, 'veth');
    assert.equal(p?.up, true);
    await peer.ensureAddress('veth-p', '203.0.113.2/24');
    // Across the veth and the bridge, inside the lab only.
    const ping = await lab.exec('peer', ['ping', '-c', '1', '-W', '5', '203.0.113.1']);
    assert.match(ping.stdout, /1 received/);
  });

  it('refuses what it must not touch or cannot name, and deletes idempotently', async () => {
    const host = new IpLinks({ netns: lab.ns('host') });
    await assert.rejects(host.ensureBridge('tap-test'), /not a bridge/);
    await assert.rejects(host.ensureTap('brq-test'), /not a tap/);
    assert.throws(() => checkLinkName('a-name-longer-than-15'), /invalid link name/);
    assert.throws(() => checkLinkName('bad name'), /invalid link name/);
    assert.throws(() => new IpLinks({ netns: '../etc' }), /invalid network namespace/);
    await host.delete('tap-test');
    await host.delete('tap-test');
    assert.equal(await host.get('tap-test'), undefined);
  });

  it('left the root namespace as it was', async () => {
    assert.deepEqual((await new IpLinks().list()).map((l) => l.name).sort(), rootBefore);
  });
});

describe('namespace lab teardown', { skip }, () => {
  it('ends the processes started inside and removes every namespace, even after a failure', async () => {
    const lab = await NetnsLab.create(['a', 'b']);
    let pid: number | undefined;
    try {
      await new IpLinks({ netns: lab.ns('a') }).ensureBridge('brq-x');
      const child = spawn('ip', ['netns', 'exec', lab.ns('a'), 'sleep', '300'], { stdio: 'ignore' });
      pid = child.pid!;
      lab.track(pid);
      await new Promise((r) => setTimeout(r, 200));
      assert.ok((await lab.pids()).includes(pid));
      throw new Error('a test failing half-way');
    } catch (e) {
      assert.match((e as Error).message, /half-way/);
    } finally {
      await lab.destroy();
    }
    assert.deepEqual(await lab.leftovers(), []);
    assert.throws(() => process.kill(pid!, 0), /ESRCH/);
  });
});
