/** The server store's SQL on SQLite, MariaDB and PostgreSQL: inserts, keyset paging, tag filters, compare-and-set, actions. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { statusOf } from '../../src/compute/domain/instance-states.js';
import { servers as serversMigration } from '../../src/compute/store/migrations/0002-servers.js';
import { networkInfo as networkInfoMigration } from '../../src/compute/store/migrations/0005-network-info.js';
import { serverPassword as serverPasswordMigration } from '../../src/compute/store/migrations/0006-server-password.js';
import type { ComputeDB } from '../../src/compute/store/schema.js';
import { ServerStore, type NewInstance } from '../../src/compute/store/server-store.js';
import { openDatabase, type Database } from '../../src/lib/db/database.js';
import { migrateToLatest } from '../../src/lib/db/migrations.js';
import { databaseBackends, type Backend } from '../support/db-backends.js';

const backends = await databaseBackends();
after(() => Promise.all(backends.map((b) => b.cleanup())));

function row(name: string, created: string, over: Partial<NewInstance> = {}): NewInstance {
  return {
    uuid: crypto.randomUUID(),
    project_id: 'p1',
    user_id: 'u1',
    display_name: name,
    display_description: null,
    hostname: name,
    host: null,
    node: null,
    vcpus: 1,
    memory_mb: 64,
    root_gb: 1,
    ephemeral_gb: 0,
    vm_state: 'building',
    task_state: 'scheduling',
    power_state: 0,
    status: statusOf('building', 'scheduling'),
    availability_zone: null,
    flavor: '{}',
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
    network_info: null,
    password: null,
    progress: 0,
    launched_at: null,
    terminated_at: null,
    deleted: 0,
    created_at: created,
    updated_at: created,
    deleted_at: null,
    ...over,
  };
}

function storeContract(backend: Backend): void {
  describe(`server store on ${backend.name}`, { skip: backend.skip ?? false }, () => {
    let database: Database<ComputeDB>;
    let store: ServerStore;
    before(async () => {
      database = await openDatabase<ComputeDB>(await backend.create());
      await migrateToLatest(database.db as never, 'compute', {
        '0002_servers': serversMigration,
        '0005_network_info': networkInfoMigration,
        '0006_server_password': serverPasswordMigration,
      });
      store = new ServerStore(database.db);
    });
    after(async () => {
      await database?.close();
    });

    it('inserts with consecutive integer ids and metadata (the `key` column quoted)', async () => {
      const rows = await store.insert(
        [row('a', '2026-01-01T00:00:01.000Z'), row('b', '2026-01-01T00:00:02.000Z'), row('c', '2026-01-01T00:00:02.000Z', { host: 'h1' })],
        { role: 'web' },
      );
      assert.deepEqual(
        rows.map((r) => r.id),
        [1, 2, 3],
      );
      const more = await store.insert([row('d', '2026-01-01T00:00:03.000Z', { project_id: 'p2' })], {});
      assert.equal(more[0]!.id, 4);
      const meta = await store.metadataOf(rows.map((r) => r.uuid));
      assert.deepEqual(meta.get(rows[0]!.uuid), { role: 'web' });
      await store.setMetadata(rows[0]!.uuid, { role: 'db', x: 'y' }, false);
      assert.deepEqual((await store.metadataOf([rows[0]!.uuid])).get(rows[0]!.uuid), { role: 'db', x: 'y' });
      await store.setMetadata(rows[0]!.uuid, { z: '1' }, true);
      assert.deepEqual((await store.metadataOf([rows[0]!.uuid])).get(rows[0]!.uuid), { z: '1' });
      assert.equal(await store.deleteMetadata(rows[0]!.uuid, 'z'), true);
      assert.equal(await store.deleteMetadata(rows[0]!.uuid, 'z'), false);
    });

    it('pages with a composite keyset (ties on created_at broken by uuid), both directions', async () => {
      for (const dir of ['asc', 'desc'] as const) {
        const sort = [
          { key: 'created_at' as const, dir },
          { key: 'uuid' as const, dir },
        ];
        const all = await store.list({ projectId: 'p1', deleted: 'no', sort });
        assert.equal(all.length, 3);
        const seen: string[] = [];
        let marker;
        for (;;) {
          const page = await store.list({ projectId: 'p1', deleted: 'no', sort, limit: 1, marker });
          if (!page.length) break;
          seen.push(page[0]!.uuid);
          marker = page[0];
        }
        assert.deepEqual(
          seen,
          all.map((r) => r.uuid),
        );
      }
      // Nulls in a sort key (host) do not lose rows.
      const sort = [
        { key: 'host' as const, dir: 'asc' as const },
        { key: 'uuid' as const, dir: 'asc' as const },
      ];
      const all = await store.list({ projectId: 'p1', deleted: 'no', sort });
      const seen: string[] = [];
      let marker;
      for (;;) {
        const page = await store.list({ projectId: 'p1', deleted: 'no', sort, limit: 1, marker });
        if (!page.length) break;
        seen.push(page[0]!.uuid);
        marker = page[0];
      }
      assert.deepEqual(seen.sort(), all.map((r) => r.uuid).sort());
    });

    it('filters on tags (all, any, not) and status', async () => {
      const [a, b] = await store.list({ projectId: 'p1', deleted: 'no', sort: [{ key: 'display_name', dir: 'asc' }] });
      await store.replaceTags(a!.uuid, ['x', 'y']);
      await store.replaceTags(b!.uuid, ['y']);
      assert.equal(await store.addTag(b!.uuid, 'y'), false);
      const names = async (q: object) =>
        (await store.list({ projectId: 'p1', deleted: 'no', sort: [{ key: 'display_name', dir: 'asc' }], ...q })).map(
          (r) => r.display_name,
        );
      assert.deepEqual(await names({ tags: ['x', 'y'] }), ['a']);
      assert.deepEqual(await names({ tagsAny: ['x', 'y'] }), ['a', 'b']);
      assert.deepEqual(await names({ notTags: ['x', 'y'] }), ['b', 'c']);
      assert.deepEqual(await names({ notTagsAny: ['x'] }), ['b', 'c']);
      assert.deepEqual(await names({ statuses: ['BUILD'] }), ['a', 'b', 'c']);
      assert.deepEqual(await names({ statuses: [] }), []);
      assert.deepEqual(await names({ host: 'h1' }), ['c']);
      assert.deepEqual((await store.tagsOf([a!.uuid])).get(a!.uuid), ['x', 'y']);
      assert.equal(await store.deleteTag(a!.uuid, undefined), 2);
    });

    it('updates with compare-and-set on task_state, never a deleted server', async () => {
      const [a] = await store.list({ projectId: 'p1', deleted: 'no', sort: [{ key: 'display_name', dir: 'asc' }] });
      assert.equal(await store.update(a!.uuid, { task_state: null }, ['spawning']), false);
      assert.equal(await store.update(a!.uuid, { task_state: null, vm_state: 'active', status: 'ACTIVE' }, ['scheduling']), true);
      assert.equal(await store.update(a!.uuid, { task_state: 'powering-off' }, [null]), true);
      assert.equal(await store.update(a!.uuid, { deleted: 1, status: 'DELETED' }), true);
      assert.equal(await store.update(a!.uuid, { display_name: 'zombie' }), false);
      assert.equal(await store.get(a!.uuid), undefined);
      assert.equal((await store.get(a!.uuid, true))?.status, 'DELETED');
      assert.equal((await store.list({ deleted: 'only', sort: [{ key: 'uuid', dir: 'asc' }] })).length, 1);
    });

    it('records actions, events and faults', async () => {
      const [b] = await store.list({ projectId: 'p1', deleted: 'no', sort: [{ key: 'display_name', dir: 'asc' }] });
      await store.startAction({ instance_uuid: b!.uuid, request_id: 'req-1', action: 'create', project_id: 'p1', user_id: 'u1' }, null);
      await store.startEvent(b!.uuid, 'req-1', 'conductor_schedule_and_build_instances', null);
      await store.finishEvent(b!.uuid, 'req-1', 'conductor_schedule_and_build_instances', 'Success', null, null);
      await store.finishEvent(b!.uuid, 'req-1', 'compute_build_and_run_instance', 'Error', 'trace', 'h1');
      await store.startAction({ instance_uuid: b!.uuid, request_id: 'req-2', action: 'stop', project_id: 'p1', user_id: 'u1' }, null);
      const got = await store.getAction(b!.uuid, 'req-1');
      assert.equal(got?.action.message, 'Error');
      assert.deepEqual(got?.events.map((e) => [e.event, e.result]).sort(), [
        ['compute_build_and_run_instance', 'Error'],
        ['conductor_schedule_and_build_instances', 'Success'],
      ]);
      const list = await store.listActions(b!.uuid);
      assert.equal(list.length, 2);
      const page = await store.listActions(b!.uuid, { limit: 1, marker: list[0] });
      assert.equal(page[0]?.request_id, list[1]!.request_id);
      await store.addFault({ instance_uuid: b!.uuid, code: 500, message: 'x'.repeat(300), details: 'd', host: null });
      const faults = await store.latestFaults([b!.uuid]);
      assert.equal(faults.get(b!.uuid)?.message.length, 255);
      assert.equal((await store.listByHost('h1')).length, 1);
      assert.ok((await store.listStuck('2030-01-01T00:00:00.000Z', [])).length >= 1);
    });
  });
}

for (const b of backends) storeContract(b);
