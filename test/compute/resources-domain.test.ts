/** The resources half of compute on SQLite, MariaDB and PostgreSQL: flavors, key pairs, quotas, hosts, server groups. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Kysely } from 'kysely';
import { createResourceServices, type ResourceServicesImpl } from '../../src/compute/domain/resource-services-impl.js';
import type { ComputeCaller } from '../../src/compute/domain/caller.js';
import { computeMigrations } from '../../src/compute/store/migrations/index.js';
import type { ComputeDB } from '../../src/compute/store/schema.js';
import { loadConfig } from '../../src/lib/config/config.js';
import { openDatabase, type Database } from '../../src/lib/db/database.js';
import { migrateToLatest } from '../../src/lib/db/migrations.js';
import { isKumoError } from '../../src/lib/errors.js';
import { createLogger } from '../../src/lib/log.js';
import { PolicyEngine } from '../../src/lib/policy/policy-engine.js';
import { COMPUTE_POLICY } from '../../src/compute/domain/policy-defaults.js';
import { databaseBackends, type Backend } from '../support/db-backends.js';

const backends = await databaseBackends();
after(() => Promise.all(backends.map((b) => b.cleanup())));

const caller = (projectId: string, isAdmin = false, userId = `u-${projectId}`): ComputeCaller => ({
  userId,
  projectId,
  isAdmin,
  roles: isAdmin ? ['admin'] : ['member'],
  requestId: 'req-1',
  token: 't',
});

let nextInstanceId = 1;
function instance(projectId: string, over: Record<string, unknown> = {}): Record<string, unknown> {
  const now = new Date().toISOString();
  return {
    id: nextInstanceId++,
    uuid: crypto.randomUUID(),
    project_id: projectId,
    user_id: `u-${projectId}`,
    display_name: 'vm',
    display_description: null,
    hostname: 'vm',
    host: null,
    node: null,
    vcpus: 2,
    memory_mb: 512,
    root_gb: 1,
    ephemeral_gb: 0,
    vm_state: 'active',
    task_state: null,
    power_state: 1,
    status: 'ACTIVE',
    availability_zone: null,
    flavor: '{"name":"m1"}',
    flavor_id: '1',
    image_ref: 'img',
    image: null,
    key_name: null,
    key_data: null,
    user_data: null,
    config_drive: 0,
    launch_index: 0,
    reservation_id: 'r-1',
    locked: 0,
    locked_by: null,
    locked_reason: null,
    access_ip_v4: null,
    access_ip_v6: null,
    auto_disk_config: 0,
    security_groups: '[]',
    scheduling: '{}',
    progress: 0,
    launched_at: now,
    terminated_at: null,
    deleted: 0,
    created_at: now,
    updated_at: now,
    deleted_at: null,
    ...over,
  };
}

async function rejects(p: Promise<unknown>, status: number, message?: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(isKumoError(e), String(e));
    assert.equal(e.status, status, e.message);
    if (message) assert.match(e.message, message);
    return true;
  });
}

for (const backend of backends as Backend[]) {
  describe(`resources domain on ${backend.name}`, { skip: backend.skip }, () => {
    let database: Database<ComputeDB>;
    let r: ResourceServicesImpl;
    before(async () => {
      database = await openDatabase<ComputeDB>(await backend.create());
      await migrateToLatest(database.db as never, 'compute', computeMigrations);
      const config = loadConfig({ env: { KUMO_DATA_DIR: '/tmp/kumo-unused', KUMO_COMPUTE_QUOTA_INSTANCES: '2' } });
      const policy = await PolicyEngine.fromFile(undefined, COMPUTE_POLICY);
      r = createResourceServices({ config: config.compute, db: database.db, policy, log: createLogger({ level: 'silent' }) });
    });
    after(() => database?.close());

    it('creates, lists, hides private flavors and frees a deleted flavor id for reuse', async () => {
      const admin = caller('admin', true);
      const pub = await r.flavors.create({ id: '0', name: 'tiny', vcpus: 1, ram: 64, disk: 1 });
      assert.equal(pub.id, '0');
      const priv = await r.flavors.create({ name: 'secret', vcpus: 2, ram: 128, disk: 0, isPublic: false });
      assert.match(priv.id, /^[0-9a-f-]{36}$/);
      await rejects(r.flavors.create({ id: '0', name: 'other', vcpus: 1, ram: 64, disk: 1 }), 409);
      await rejects(r.flavors.create({ name: 'tiny', vcpus: 1, ram: 64, disk: 1 }), 409);
      const member = caller('p1');
      assert.deepEqual(
        (await r.flavors.list(member, { isPublic: null })).map((f) => f.name),
        ['tiny'],
      );
      await rejects(r.flavors.getForCaller(member, priv.id), 404);
      await r.flavors.addAccess(admin, priv.id, 'p1');
      await rejects(r.flavors.addAccess(admin, priv.id, 'p1'), 409);
      assert.deepEqual((await r.flavors.list(member, { isPublic: true })).map((f) => f.name).sort(), ['secret', 'tiny']);
      assert.equal((await r.flavors.getForCaller(member, priv.id)).name, 'secret');
      await r.flavors.setExtraSpecs(admin, '0', { 'hw:cpu_policy': 'shared' });
      assert.deepEqual((await r.flavors.getForCaller(member, '0')).extraSpecs, { 'hw:cpu_policy': 'shared' });
      await r.flavors.delete('0');
      assert.equal((await r.flavors.getAny('0'))?.name, 'tiny');
      await rejects(r.flavors.getForCaller(admin, '0'), 404);
      const again = await r.flavors.create({ id: '0', name: 'tiny', vcpus: 4, ram: 64, disk: 1 });
      assert.equal((await r.flavors.getAny(again.id))?.vcpus, 4);
      const page = await r.flavors.list(admin, { isPublic: null, sortKey: 'memory_mb', sortDir: 'desc', limit: 1 });
      assert.deepEqual(
        page.map((f) => f.name),
        ['secret'],
      );
      await rejects(r.flavors.list(admin, { isPublic: null, sortKey: 'bogus' }), 400);
    });

    it('imports and generates key pairs per user, counted against key_pairs quota', async () => {
      const gen = await r.keypairs.create({ userId: 'ku', projectId: 'kp', name: 'gen', type: 'ssh' });
      assert.match(gen.publicKey, /^ssh-rsa AAAA/);
      assert.match(gen.privateKey ?? '', /BEGIN RSA PRIVATE KEY/);
      assert.match(gen.fingerprint, /^([0-9a-f]{2}:){15}[0-9a-f]{2}$/);
      const imported = await r.keypairs.create({ userId: 'ku', projectId: 'kp', name: 'imp', type: 'ssh', publicKey: gen.publicKey });
      assert.equal(imported.fingerprint, gen.fingerprint);
      await rejects(r.keypairs.create({ userId: 'ku', projectId: 'kp', name: 'imp', type: 'ssh', publicKey: gen.publicKey }), 409);
      await rejects(r.keypairs.create({ userId: 'ku', projectId: 'kp', name: 'bad', type: 'ssh', publicKey: 'ssh-rsa AAAAnotakey' }), 400);
      assert.deepEqual(
        (await r.keypairs.list('ku')).map((k) => k.name),
        ['gen', 'imp'],
      );
      await rejects(r.keypairs.get('someone-else', 'gen'), 404);
      await r.quotas.update('kp', undefined, { key_pairs: 2 }, true);
      await rejects(r.keypairs.create({ userId: 'ku', projectId: 'kp', name: 'third', type: 'ssh', publicKey: gen.publicKey }), 403);
      await r.keypairs.delete('ku', 'imp');
      await rejects(r.keypairs.delete('ku', 'imp'), 404);
    });

    it("counts instances for quotas and words the overrun as Nova's message", async () => {
      await database.db
        .insertInto('instances')
        .values([instance('qp'), instance('qp'), instance('qp', { deleted: 1 })] as never)
        .execute();
      await rejects(
        r.quotas.checkServers('qp', 'u-qp', { instances: 1, cores: 1, ram: 1 }),
        403,
        /^Quota exceeded for instances: Requested 1, but already used 2 of 2 instances$/,
      );
      await r.quotas.checkServers('other', 'u', { instances: 1, cores: 1, ram: 1 });
      const detail = await r.quotas.detail('qp');
      assert.deepEqual(detail.cores, { limit: 20, in_use: 4, reserved: 0 });
      await rejects(r.quotas.update('qp', undefined, { instances: 1 }, false), 400);
      await r.quotas.update('qp', undefined, { instances: 5 }, false);
      await r.quotas.checkServers('qp', 'u-qp', { instances: 1, cores: 1, ram: 1 });
      await r.quotas.reset('qp');
      assert.equal((await r.quotas.limits('qp')).instances, 2);
      assert.equal(await r.quotas.metadataItemsLimit('qp'), 128);
    });

    it('registers hosts from heartbeats and sums usage per hypervisor', async () => {
      const report = {
        host: 'h1',
        binary: 'nova-compute' as const,
        rpcVersion: '1.0',
        providerUuid: crypto.randomUUID(),
        hypervisorType: 'fake',
        hypervisorVersion: 1000,
        hostIp: '192.0.2.10',
        vcpus: 8,
        memoryMb: 8192,
        localGb: 100,
        cpuInfo: { arch: 'x86_64' },
      };
      assert.deepEqual(await r.hosts.heartbeat(report), { disabled: false, forcedDown: false });
      await r.hosts.heartbeat({ ...report, vcpus: 16 });
      await database.db
        .insertInto('instances')
        .values([instance('hp', { host: 'h1', node: 'h1' })] as never)
        .execute();
      const [h] = await r.hosts.hypervisors();
      assert.equal(h?.node.vcpus, 16);
      assert.equal(h?.vcpusUsed, 2);
      assert.equal(h?.runningVms, 1);
      const hosts = await r.hosts.computeHosts();
      assert.deepEqual(hosts, [
        { host: 'h1', node: 'h1', providerUuid: report.providerUuid, availabilityZone: 'nova', enabled: true, up: true },
      ]);
      const svc = (await r.hosts.services({ binary: 'nova-compute' }))[0]!;
      await r.hosts.updateService(svc.row.id, { disabled: true, disabledReason: 'maintenance' });
      assert.deepEqual(await r.hosts.heartbeat(report), { disabled: true, forcedDown: false });
      const agg = await r.aggregates.create('rack1', 'zone-a');
      await r.aggregates.addHost(agg.row.id, 'h1');
      assert.equal((await r.hosts.computeHosts())[0]?.availabilityZone, 'zone-a');
      const binaries = (await r.hosts.services()).map((s) => s.row.binary).sort();
      assert.deepEqual(binaries, ['nova-compute', 'nova-conductor', 'nova-scheduler']);
      await rejects(r.hosts.deleteService(svc.row.id), 409);
    });

    it('sums server-hours per project over the requested period', async () => {
      const end = new Date('2026-01-01T12:00:00Z');
      const at = (h: number) => new Date(end.getTime() - h * 3600_000).toISOString();
      await database.db
        .insertInto('instances')
        .values([
          instance('up', { created_at: at(5), launched_at: at(4) }),
          instance('up', { created_at: at(30), launched_at: at(30), deleted: 1, deleted_at: at(1), terminated_at: at(1), vcpus: 1 }),
          instance('up', { created_at: at(50), launched_at: at(50), deleted: 1, deleted_at: at(40), terminated_at: at(40) }),
        ] as never)
        .execute();
      const [u] = await r.usage.usage(new Date(end.getTime() - 10 * 3600_000), end, 'up');
      assert.equal(u?.server_usages.length, 2);
      // 4 h of a 2-vcpu server plus 9 h of a 1-vcpu one (clipped to the period's start).
      assert.equal(Math.round(u!.total_hours), 13);
      assert.equal(Math.round(u!.total_vcpus_usage), 4 * 2 + 9 * 1);
      assert.equal(u?.server_usages.find((x) => x.vcpus === 1)?.state, 'terminated');
    });

    it('keeps server group members within quota and scoped to the project', async () => {
      const owner = caller('gp');
      const g = await r.serverGroups.create(owner, { name: 'g', policy: 'anti-affinity', rules: { max_server_per_host: 2 } });
      await rejects(r.serverGroups.get(caller('intruder'), g.id), 404);
      await r.serverGroups.addMembers(g.id, ['a', 'b']);
      assert.equal((await r.serverGroups.groupOf('a'))?.id, g.id);
      await r.quotas.update('gp', undefined, { server_group_members: 2 }, true);
      await rejects(r.serverGroups.addMembers(g.id, ['c']), 403);
      await r.serverGroups.removeMember('a');
      assert.deepEqual((await r.serverGroups.get(owner, g.id)).members, ['b']);
      await rejects(r.serverGroups.create(owner, { name: 'x', policy: 'affinity', rules: { max_server_per_host: 1 } }), 400);
      assert.equal((await r.serverGroups.list(caller('admin', true), true)).length, 1);
    });
  });
}

for (const backend of backends as Backend[]) {
  describe(`compute schema on ${backend.name}`, { skip: backend.skip }, () => {
    it('shares one database with identity (its own `services` table) and renames an old `services` table', async () => {
      const { identityMigrations } = await import('../../src/identity/store/migrations/index.js');
      const database = await openDatabase<ComputeDB>(await backend.create());
      try {
        const raw = database.db as never;
        // The history as it stood when 0004 was the newest migration.
        const upTo0004 = Object.fromEntries(Object.entries(computeMigrations).filter(([name]) => name <= '0004_compute_services'));
        await migrateToLatest(raw, 'identity', identityMigrations);
        await migrateToLatest(raw, 'compute', upTo0004);
        const tables = async () => new Set((await database.db.introspection.getTables()).map((t) => t.name));
        assert.ok((await tables()).has('services') && (await tables()).has('compute_services'));
        // A database from before 0004: the compute table under its old name, 0004 not applied.
        const db = database.db as unknown as Kysely<any>;
        await db.schema.dropTable('services').execute();
        await db.schema.alterTable('compute_services').renameTo('services').execute();
        await db.deleteFrom('kumo_migrations_compute').where('name', '=', '0004_compute_services').execute();
        const r = await migrateToLatest(raw, 'compute', computeMigrations);
        assert.deepEqual(r.applied, ['0004_compute_services', '0005_network_info', '0006_server_password']);
        assert.ok((await tables()).has('compute_services'));
        assert.ok(!(await tables()).has('services'));
      } finally {
        await database.close();
      }
    });
  });
}
