import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CONDUCTOR_TOPIC, PowerState } from '../../src/lib/rpc/compute-rpc.js';
import { FakeAgent, IMAGE_ID, startServersHarness, type ServersHarness } from './servers-fixtures.js';

const body = (over: Record<string, unknown> = {}) => ({ server: { name: 'vm', imageRef: IMAGE_ID, flavorRef: '1', ...over } });

describe('conductor', () => {
  let h: ServersHarness;
  before(async () => {
    h = await startServersHarness({ schedulerMaxAttempts: 2, buildTimeout: 600 });
  });
  after(async () => {
    await h?.close();
  });

  it('reschedules a failed build, then gives up with ERROR after max attempts', async () => {
    h.agent.failBuilds = true;
    try {
      const r = await h.call('POST', '/servers', { body: body() });
      const s = await h.waitFor(r.body.server.id, (x) => x.status === 'ERROR');
      assert.match(s.fault.message, /No valid host was found/);
      // Why the host failed is kept for the admin's fault details (Nova's "Last exception").
      assert.match(s.fault.details, /Exceeded max scheduling attempts .*Last exception: boom/);
      const builds = h.agent.received.filter((m) => m.method === 'build_and_run_instance' && m.args.instance.uuid === r.body.server.id);
      // One host: the retry excludes it, so the second try finds no host.
      assert.equal(builds.length, 1);
      assert.equal(h.placement.allocations.has(r.body.server.id), false);
    } finally {
      h.agent.failBuilds = false;
    }
  });

  it('reschedules onto another host when the first one fails the build', async () => {
    const agent2 = new FakeAgent(h.bus, 'host-2');
    await agent2.start();
    // host-2 has less free RAM, so the scheduler tries host-1 first.
    h.placement.inventory.set('rp-2', { VCPU: 4, MEMORY_MB: 2048, DISK_GB: 20 });
    h.resources.hostList.push({ host: 'host-2', node: 'host-2', providerUuid: 'rp-2', availabilityZone: 'nova', enabled: true, up: true });
    h.agent.failBuilds = true;
    try {
      const r = await h.call('POST', '/servers', { body: body() });
      const id = r.body.server.id;
      await h.waitFor(id, (x) => x.status === 'ACTIVE');
      const row = await h.services.servers.store.get(id);
      assert.equal(row?.host, 'host-2');
      assert.equal(h.placement.allocations.get(id)?.rp, 'rp-2');
      assert.ok(h.agent.received.some((m) => m.method === 'build_and_run_instance' && m.args.instance.uuid === id));
    } finally {
      h.agent.failBuilds = false;
      h.resources.hostList.pop();
    }
  });

  it('filters disabled/down hosts and availability zones', async () => {
    h.resources.hostList[0]!.enabled = false;
    try {
      const r = await h.call('POST', '/servers', { body: body() });
      const s = await h.waitFor(r.body.server.id, (x) => x.status === 'ERROR');
      assert.match(s.fault.message, /No valid host/);
    } finally {
      h.resources.hostList[0]!.enabled = true;
    }
    const az = await h.call('POST', '/servers', { body: body({ availability_zone: 'nova' }) });
    await h.waitFor(az.body.server.id, (x) => x.status === 'ACTIVE');
  });

  it('applies instance_update with compare-and-set on the expected task state', async () => {
    const r = await h.call('POST', '/servers', { body: body() });
    const id = r.body.server.id;
    await h.waitFor(id, (x) => x.status === 'ACTIVE');
    const refused = await h.bus.call<{ applied: boolean }>({ topic: CONDUCTOR_TOPIC }, 'instance_update', {
      uuid: id,
      vmState: 'stopped',
      expectedTaskState: ['powering-off'],
    });
    assert.equal(refused.applied, false);
    const ok = await h.bus.call<{ applied: boolean }>({ topic: CONDUCTOR_TOPIC }, 'instance_update', {
      uuid: id,
      vmState: 'stopped',
      powerState: PowerState.SHUTDOWN,
      expectedTaskState: [null],
    });
    assert.equal(ok.applied, true);
    assert.equal((await h.call('GET', `/servers/${id}`)).body.server.status, 'SHUTOFF');
    const gone = await h.bus.call<{ applied: boolean }>({ topic: CONDUCTOR_TOPIC }, 'instance_update', { uuid: 'nope', vmState: 'active' });
    assert.equal(gone.applied, false);
    const on = await h.bus.call<{ instances: { uuid: string; name: string }[] }>({ topic: CONDUCTOR_TOPIC }, 'instances_on_host', {
      host: 'host-1',
    });
    assert.ok(on.instances.some((i) => i.uuid === id && /^instance-[0-9a-f]{8}$/.test(i.name)));
  });

  it('answers heartbeats through the host registry', async () => {
    const reply = await h.bus.call({ topic: CONDUCTOR_TOPIC }, 'service_heartbeat', { host: 'host-1' });
    assert.deepEqual(reply, { disabled: false, forcedDown: false });
  });

  it('sweeps: BUILD past the timeout → ERROR; tasks on a down host are cleared', async () => {
    h.agent.silent = true;
    const r = await h.call('POST', '/servers', { body: body() });
    const id = r.body.server.id;
    await waitRow(h, id, (x) => x.host !== null);
    // Age the server past build_timeout.
    await h.database.db.updateTable('instances').set({ created_at: '2000-01-01T00:00:00.000Z' }).where('uuid', '=', id).execute();
    await h.services.conductor.sweep();
    const s = (await h.call('GET', `/servers/${id}`)).body.server;
    assert.equal(s.status, 'ERROR');
    assert.match(s.fault.message, /timed out/);

    h.agent.silent = false;
    const r2 = await h.call('POST', '/servers', { body: body() });
    const id2 = r2.body.server.id;
    await h.waitFor(id2, (x) => x.status === 'ACTIVE');
    h.agent.silent = true;
    await h.call('POST', `/servers/${id2}/action`, { body: { 'os-stop': null } });
    assert.equal((await h.call('GET', `/servers/${id2}`)).body.server['OS-EXT-STS:task_state'], 'powering-off');
    h.resources.hostList[0]!.up = false;
    try {
      await h.services.conductor.sweep();
    } finally {
      h.resources.hostList[0]!.up = true;
      h.agent.silent = false;
    }
    const s2 = (await h.call('GET', `/servers/${id2}`)).body.server;
    assert.equal(s2['OS-EXT-STS:task_state'], null);
    assert.equal(s2.status, 'ACTIVE');
  });
});

describe('conductor restart', () => {
  it('schedules again a build that the previous process never scheduled', async () => {
    const h = await startServersHarness({ buildTimeout: 600 });
    try {
      await h.services.conductor.close();
      // The build request is lost with the bus: the server waits without a host.
      const r = await h.call('POST', '/servers', { body: body() });
      const id = r.body.server.id;
      assert.equal((await h.services.servers.store.get(id))?.host, null);
      await h.services.conductor.start();
      await h.services.conductor.redriveLostBuilds(new Date(Date.now() + 1000));
      const s = await h.waitFor(id, (x) => x.status === 'ACTIVE');
      assert.equal(s['OS-EXT-SRV-ATTR:host'], 'host-1');
      // Again (a second conductor doing the same): a server that has a host is not scheduled twice.
      await h.services.conductor.redriveLostBuilds(new Date(Date.now() + 1000));
      const builds = h.agent.received.filter((m) => m.method === 'build_and_run_instance' && m.args.instance.uuid === id);
      assert.equal(builds.length, 1);
    } finally {
      await h.close();
    }
  });
});

async function waitRow(h: ServersHarness, id: string, pred: (r: { host: string | null }) => boolean) {
  for (let i = 0; i < 100; i++) {
    const row = await h.services.servers.store.get(id);
    if (row && pred(row)) return row;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('row never matched');
}
