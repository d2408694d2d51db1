/** Services, hypervisors, availability zones, aggregates and usage over HTTP, with a host registered by a heartbeat. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { CloudProject, CloudResponse } from '../support/compute-harness.js';
import { startComputeApi, type ComputeApiHarness } from '../support/compute-api-harness.js';
import { assertShape, HYPERVISOR_DETAIL_KEYS, SERVICE_KEYS } from './resources-shapes.js';

let h: ComputeApiHarness;
let member: CloudProject;
const HOST = 'kumo-test-host';

const nova = (r: CloudResponse, status: number, name: string) => {
  assert.equal(r.status, status, r.text);
  assert.equal(r.body?.[name]?.code, status, r.text);
};

before(async () => {
  h = await startComputeApi();
  member = await h.project('member');
  // What an agent's conductor.service_heartbeat does.
  await h.compute.resources.hosts.heartbeat({
    host: HOST,
    binary: 'nova-compute',
    rpcVersion: '1.0',
    providerUuid: crypto.randomUUID(),
    hypervisorType: 'QEMU',
    hypervisorVersion: 7002000,
    hostIp: '192.0.2.10',
    vcpus: 4,
    memoryMb: 8192,
    localGb: 80,
    cpuInfo: { arch: 'x86_64', model: 'qemu64', vendor: 'AMD', topology: { sockets: 1, cores: 4, threads: 1 }, features: [] },
  });
});
after(() => h?.close());

describe('services', () => {
  it('lists the compute host and the control services like Nova', async () => {
    const r = await h.request('GET', '/os-services');
    assert.equal(r.status, 200, r.text);
    const binaries = r.body.services.map((s: { binary: string }) => s.binary).sort();
    assert.deepEqual(binaries, ['nova-compute', 'nova-conductor', 'nova-scheduler']);
    for (const s of r.body.services) {
      assertShape(s, SERVICE_KEYS, []);
      assert.equal(typeof s.id, 'number');
      assert.equal(s.state, 'up');
    }
    const compute = r.body.services.find((s: { binary: string }) => s.binary === 'nova-compute');
    assert.equal(compute.zone, 'nova');
    assert.equal(compute.host, HOST);
    const v211 = await h.request('GET', `/os-services?binary=nova-compute&host=${HOST}`, { microversion: '2.11' });
    assert.equal(v211.body.services.length, 1);
    assertShape(v211.body.services[0], [...SERVICE_KEYS, 'forced_down'], []);
    const v253 = await h.request('GET', '/os-services?binary=nova-compute', { microversion: '2.53' });
    assert.match(v253.body.services[0].id, /^[0-9a-f-]{36}$/);
    nova(await h.request('GET', '/os-services', { token: member.token }), 403, 'forbidden');
  });

  it('disables, enables and forces down with the legacy and 2.53 forms', async () => {
    const dis = await h.request('PUT', '/os-services/disable-log-reason', {
      body: { host: HOST, binary: 'nova-compute', disabled_reason: 'test' },
    });
    assert.deepEqual(dis.body, { service: { host: HOST, binary: 'nova-compute', status: 'disabled', disabled_reason: 'test' } });
    const en = await h.request('PUT', '/os-services/enable', { body: { host: HOST, binary: 'nova-compute' } });
    assert.deepEqual(en.body, { service: { host: HOST, binary: 'nova-compute', status: 'enabled' } });
    nova(
      await h.request('PUT', '/os-services/force-down', { body: { host: HOST, binary: 'nova-compute', forced_down: true } }),
      404,
      'itemNotFound',
    );
    nova(await h.request('PUT', '/os-services/enable', { body: { host: 'nowhere', binary: 'nova-compute' } }), 404, 'itemNotFound');
    nova(await h.request('PUT', '/os-services/enable', { body: { host: HOST } }), 400, 'badRequest');
    const forced = await h.request('PUT', '/os-services/force-down', {
      microversion: '2.11',
      body: { host: HOST, binary: 'nova-compute', forced_down: true },
    });
    assert.deepEqual(forced.body, { service: { host: HOST, binary: 'nova-compute', forced_down: true } });
    const downList = await h.request('GET', '/os-services?binary=nova-compute', { microversion: '2.11' });
    assert.equal(downList.body.services[0].state, 'down');
    await h.request('PUT', '/os-services/force-down', {
      microversion: '2.11',
      body: { host: HOST, binary: 'nova-compute', forced_down: 'false' },
    });
    const list = await h.request('GET', '/os-services?binary=nova-compute', { microversion: '2.53' });
    const id = list.body.services[0].id as string;
    const upd = await h.request('PUT', `/os-services/${id}`, {
      microversion: '2.53',
      body: { status: 'disabled', disabled_reason: 'maint' },
    });
    assert.equal(upd.status, 200, upd.text);
    assert.equal(upd.body.service.status, 'disabled');
    assert.equal(upd.body.service.disabled_reason, 'maint');
    const down = await h.request('PUT', `/os-services/${id}`, { microversion: '2.53', body: { forced_down: true } });
    assert.equal(down.body.service.state, 'down');
    assert.equal(down.body.service.forced_down, true);
    const back = await h.request('PUT', `/os-services/${id}`, { microversion: '2.53', body: { status: 'enabled', forced_down: false } });
    assert.equal(back.body.service.status, 'enabled');
    assert.equal(back.body.service.disabled_reason, null);
    nova(
      await h.request('PUT', `/os-services/${id}`, { microversion: '2.53', body: { status: 'enabled', disabled_reason: 'x' } }),
      400,
      'badRequest',
    );
    nova(await h.request('PUT', '/os-services/not-a-uuid', { microversion: '2.53', body: { status: 'enabled' } }), 400, 'badRequest');
    const conductor = (await h.request('GET', '/os-services?binary=nova-conductor', { microversion: '2.53' })).body.services[0].id;
    nova(await h.request('PUT', `/os-services/${conductor}`, { microversion: '2.53', body: { status: 'disabled' } }), 400, 'badRequest');
    nova(await h.request('DELETE', '/os-services/abc'), 400, 'badRequest');
    nova(await h.request('DELETE', '/os-services/99999'), 404, 'itemNotFound');
  });
});

describe('hypervisors', () => {
  it('shows compute nodes per microversion', async () => {
    const list = await h.request('GET', '/os-hypervisors');
    assertShape(list.body.hypervisors[0], ['id', 'hypervisor_hostname', 'state', 'status'], []);
    const id = list.body.hypervisors[0].id as number;
    const detail = await h.request('GET', '/os-hypervisors/detail');
    assertShape(detail.body.hypervisors[0], HYPERVISOR_DETAIL_KEYS, []);
    assert.equal(typeof detail.body.hypervisors[0].cpu_info, 'string');
    const show = await h.request('GET', `/os-hypervisors/${id}`, { microversion: '2.28' });
    assert.equal(typeof show.body.hypervisor.cpu_info, 'object');
    assert.ok(show.body.hypervisor.vcpus > 0);
    const stats = await h.request('GET', '/os-hypervisors/statistics');
    assert.equal(stats.body.hypervisor_statistics.count, 1);
    const up = await h.request('GET', `/os-hypervisors/${id}/uptime`);
    assertShape(up.body.hypervisor, ['id', 'hypervisor_hostname', 'uptime'], ['state', 'status']);
    const search = await h.request('GET', `/os-hypervisors/${HOST.slice(0, 6)}/search`);
    assert.equal(search.body.hypervisors.length, 1);
    const servers = await h.request('GET', `/os-hypervisors/${HOST}/servers`);
    assertShape(servers.body.hypervisors[0], ['id', 'hypervisor_hostname'], ['state', 'status', 'servers']);
    nova(await h.request('GET', '/os-hypervisors/nomatch/search'), 404, 'itemNotFound');
    nova(await h.request('GET', '/os-hypervisors/abc'), 400, 'badRequest');
    nova(await h.request('GET', '/os-hypervisors/9999'), 404, 'itemNotFound');

    const v253 = await h.request('GET', `/os-hypervisors/detail?hypervisor_hostname_pattern=${HOST}&with_servers=true`, {
      microversion: '2.53',
    });
    assert.match(v253.body.hypervisors[0].id, /^[0-9a-f-]{36}$/);
    assert.match(v253.body.hypervisors[0].service.id, /^[0-9a-f-]{36}$/);
    const uuid = v253.body.hypervisors[0].id as string;
    nova(await h.request('GET', `/os-hypervisors/${HOST}/search`, { microversion: '2.53' }), 404, 'itemNotFound');
    nova(await h.request('GET', `/os-hypervisors/${id}`, { microversion: '2.53' }), 400, 'badRequest');
    const v288 = await h.request('GET', `/os-hypervisors/${uuid}`, { microversion: '2.88' });
    assertShape(
      v288.body.hypervisor,
      ['id', 'hypervisor_hostname', 'state', 'status', 'hypervisor_type', 'hypervisor_version', 'host_ip', 'service', 'uptime'],
      [],
    );
    nova(await h.request('GET', '/os-hypervisors/statistics', { microversion: '2.88' }), 404, 'itemNotFound');
    const page = await h.request('GET', '/os-hypervisors?limit=1', { microversion: '2.33' });
    assert.match(page.body.hypervisors_links[0].href, /marker=/);
    nova(await h.request('GET', '/os-hypervisors', { token: member.token }), 403, 'forbidden');
  });
});

describe('availability zones and aggregates', () => {
  it('lists zones, and moves a host into an aggregate zone', async () => {
    const zones = await h.request('GET', '/os-availability-zone', { token: member.token });
    assert.deepEqual(zones.body, { availabilityZoneInfo: [{ zoneName: 'nova', zoneState: { available: true }, hosts: null }] });
    nova(await h.request('GET', '/os-availability-zone/detail', { token: member.token }), 403, 'forbidden');
    const detail = await h.request('GET', '/os-availability-zone/detail');
    const internal = detail.body.availabilityZoneInfo.find((z: { zoneName: string }) => z.zoneName === 'internal');
    const hostEntry = Object.values(internal.hosts)[0] as Record<string, { available: boolean; active: boolean }>;
    assert.equal(hostEntry['nova-conductor']?.available, true);

    const agg = await h.request('POST', '/os-aggregates', {
      microversion: '2.41',
      body: { aggregate: { name: 'rack', availability_zone: 'zone-a' } },
    });
    assert.equal(agg.status, 200, agg.text);
    assertShape(agg.body.aggregate, ['availability_zone', 'created_at', 'deleted', 'deleted_at', 'id', 'name', 'updated_at', 'uuid'], []);
    const id = agg.body.aggregate.id as number;
    nova(await h.request('POST', '/os-aggregates', { body: { aggregate: { name: 'rack' } } }), 409, 'conflictingRequest');
    const added = await h.request('POST', `/os-aggregates/${id}/action`, { body: { add_host: { host: HOST } } });
    assert.deepEqual(added.body.aggregate.hosts, [HOST]);
    nova(await h.request('POST', `/os-aggregates/${id}/action`, { body: { add_host: { host: HOST } } }), 409, 'conflictingRequest');
    nova(await h.request('POST', `/os-aggregates/${id}/action`, { body: { add_host: { host: 'nowhere' } } }), 404, 'itemNotFound');
    const meta = await h.request('POST', `/os-aggregates/${id}/action`, { body: { set_metadata: { metadata: { ssd: 'true' } } } });
    assert.deepEqual(meta.body.aggregate.metadata, { availability_zone: 'zone-a', ssd: 'true' });
    const services = await h.request('GET', '/os-services?binary=nova-compute');
    assert.equal(services.body.services[0].zone, 'zone-a');
    const zonesAfter = await h.request('GET', '/os-availability-zone');
    assert.deepEqual(
      zonesAfter.body.availabilityZoneInfo.map((z: { zoneName: string }) => z.zoneName),
      ['zone-a'],
    );
    nova(await h.request('DELETE', `/os-aggregates/${id}`), 400, 'badRequest');
    await h.request('POST', `/os-aggregates/${id}/action`, { body: { remove_host: { host: HOST } } });
    nova(await h.request('POST', `/os-aggregates/${id}/action`, { body: { remove_host: { host: HOST } } }), 404, 'itemNotFound');
    const upd = await h.request('PUT', `/os-aggregates/${id}`, { body: { aggregate: { name: 'rack-2' } } });
    assert.equal(upd.body.aggregate.name, 'rack-2');
    assert.equal((await h.request('DELETE', `/os-aggregates/${id}`)).status, 200);
    nova(await h.request('GET', `/os-aggregates/${id}`), 404, 'itemNotFound');
    nova(await h.request('GET', '/os-aggregates', { token: member.token }), 403, 'forbidden');
  });

  it('reports simple tenant usage', async () => {
    const list = await h.request('GET', '/os-simple-tenant-usage?start=2020-01-01T00:00:00&end=2030-01-01T00:00:00');
    assert.equal(list.status, 200, list.text);
    assert.ok(Array.isArray(list.body.tenant_usages));
    nova(await h.request('GET', '/os-simple-tenant-usage?start=yesterday'), 400, 'badRequest');
    nova(await h.request('GET', '/os-simple-tenant-usage?start=2030-01-01T00:00:00&end=2020-01-01T00:00:00'), 400, 'badRequest');
    nova(await h.request('GET', '/os-simple-tenant-usage', { token: member.token }), 403, 'forbidden');
    const own = await h.request('GET', `/os-simple-tenant-usage/${member.projectId}`, { token: member.token });
    assert.equal(own.status, 200, own.text);
  });
});
