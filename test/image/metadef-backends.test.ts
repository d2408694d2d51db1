/**
 * The metadefs catalog's storage contract, run against every database
 * backend: whatever the dialect, the same calls store and return the same
 * values and fail the same way.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { KumoError } from '../../src/lib/errors.js';
import { openDatabase, type Database } from '../../src/lib/db/database.js';
import { migrateToLatest } from '../../src/lib/db/migrations.js';
import { createMetadefServices, type MetadefServices } from '../../src/image/domain/metadef-services.js';
import type { Caller } from '../../src/image/domain/models.js';
import { imageMigrations } from '../../src/image/store/migrations/index.js';
import type { ImageDB } from '../../src/image/store/schema.js';
import { databaseBackends, type Backend } from '../support/db-backends.js';

const backends = await databaseBackends();
after(() => Promise.all(backends.map((b) => b.cleanup())));

const admin: Caller = { userId: 'u-admin', projectId: 'p-admin', isAdmin: true, roles: ['admin'] };
const alice: Caller = { userId: 'u-alice', projectId: 'p-alice', isAdmin: false, roles: ['member'] };
const bob: Caller = { userId: 'u-bob', projectId: 'p-bob', isAdmin: false, roles: ['member'] };

const status = (code: number) => (e: unknown) => e instanceof KumoError && e.status === code;
const UNICODE = 'Ünïcode-名前-🌩';
const LIST = { limit: 100, sortKey: 'created_at', sortDir: 'desc' } as const;

function metadefContract(backend: Backend): void {
  describe(`metadef storage on ${backend.name}`, { skip: backend.skip ?? false }, () => {
    let database: Database<ImageDB>;
    let m: MetadefServices;
    before(async () => {
      database = await openDatabase<ImageDB>(await backend.create());
      await migrateToLatest(database.db as never, 'image', imageMigrations);
      m = createMetadefServices(database.db);
    });
    after(() => database?.close());

    it('seeds the system resource types', async () => {
      const names = (await m.resourceTypes.listTypes()).map((t) => t.name);
      for (const n of ['OS::Glance::Image', 'OS::Cinder::Volume', 'OS::Nova::Flavor', 'OS::Nova::Aggregate', 'OS::Nova::Server']) {
        assert.ok(names.includes(n), n);
      }
      assert.ok((await m.resourceTypes.listTypes()).every((t) => t.protected));
    });

    it('creates a namespace with its contents in one go and reads them back unchanged', async () => {
      const definition = {
        title: 'Boot Menu',
        type: 'string',
        enum: ['true', 'false'],
        default: { nested: [1, null] },
        description: UNICODE,
      };
      const d = await m.namespaces.create(admin, {
        namespace: `OS::Test::${UNICODE}`,
        displayName: 'Test',
        visibility: 'public',
        protected: true,
        resourceTypeAssociations: [
          { name: 'OS::Glance::Image', prefix: 'hw_' },
          { name: 'OS::Kumo::New', propertiesTarget: 'image' },
        ],
        properties: { boot_menu: definition },
        objects: [{ name: 'CPU Limits', required: ['quota'], properties: { quota: { title: 'Q', type: 'integer', minimum: -1 } } }],
        tags: ['b', 'a'],
      });
      const ns = await m.namespaces.get(bob, `OS::Test::${UNICODE}`);
      assert.equal(ns.owner, 'p-admin');
      assert.equal(ns.protected, true);
      const again = await m.namespaces.detail(ns);
      assert.deepEqual(again, d);
      assert.deepEqual(again.properties[0]?.definition, definition);
      assert.deepEqual(again.objects[0]?.properties, { quota: { title: 'Q', type: 'integer', minimum: -1 } });
      assert.deepEqual(again.objects[0]?.required, ['quota']);
      assert.deepEqual(
        again.associations.map((a) => [a.name, a.prefix, a.propertiesTarget]),
        [
          ['OS::Glance::Image', 'hw_', null],
          ['OS::Kumo::New', null, 'image'],
        ],
      );
      assert.deepEqual(again.tags.map((t) => t.name).sort(), ['a', 'b']);
      // An unknown resource type is created on first use, not protected.
      const created = (await m.resourceTypes.listTypes()).find((t) => t.name === 'OS::Kumo::New');
      assert.equal(created?.protected, false);
      // With a resource type, names carry its prefix.
      const prefixed = await m.namespaces.detail(ns, 'OS::Glance::Image');
      assert.deepEqual(
        prefixed.properties.map((p) => p.name),
        ['hw_boot_menu'],
      );
      assert.deepEqual(prefixed.objects[0]?.required, ['hw_quota']);
      assert.equal((await m.properties.get(ns, 'hw_boot_menu', 'OS::Glance::Image')).name, 'boot_menu');
      await assert.rejects(m.properties.get(ns, 'boot_menu', 'OS::Glance::Image'), status(404));
      await assert.rejects(m.namespaces.delete(ns), status(403));
    });

    it('rejects a duplicate namespace and a failed create leaves nothing behind', async () => {
      await m.namespaces.create(admin, { namespace: 'dup' });
      await assert.rejects(m.namespaces.create(admin, { namespace: 'dup' }), status(409));
      // The second object collides inside the transaction: the namespace must not remain.
      await assert.rejects(m.namespaces.create(admin, { namespace: 'half', objects: [{ name: 'o' }, { name: 'o' }] }), status(409));
      await assert.rejects(m.namespaces.get(admin, 'half'), status(404));
      await assert.rejects(
        m.namespaces.create(admin, { namespace: 'half', resourceTypeAssociations: [{ name: 'X' }, { name: 'X' }] }),
        status(409),
      );
      await assert.rejects(m.namespaces.get(admin, 'half'), status(404));
    });

    it('keeps private namespaces to their project; admins see all', async () => {
      await m.namespaces.create(alice, { namespace: 'alice-private' });
      await m.namespaces.create(alice, { namespace: 'alice-public', visibility: 'public' });
      await m.namespaces.get(alice, 'alice-private');
      await assert.rejects(m.namespaces.get(bob, 'alice-private'), status(404));
      const names = async (c: Caller, q = {}) =>
        (await m.namespaces.list(c, { ...LIST, ...q })).namespaces.map((l) => l.namespace.namespace);
      assert.ok((await names(alice)).includes('alice-private'));
      assert.ok(!(await names(bob)).includes('alice-private'));
      assert.ok((await names(bob)).includes('alice-public'));
      assert.ok((await names(admin)).includes('alice-private'));
      assert.ok(!(await names(admin, { visibility: 'public' })).includes('alice-private'));
      assert.deepEqual(await names(admin, { resourceTypes: ['OS::Kumo::New'] }), [`OS::Test::${UNICODE}`]);
      assert.deepEqual(await names(admin, { resourceTypes: ['OS::Nova::Flavor'] }), []);
    });

    it('pages namespaces by marker in a stable order', async () => {
      for (const n of ['page-c', 'page-a', 'page-b']) await m.namespaces.create(bob, { namespace: n });
      const q = { ...LIST, sortKey: 'namespace', sortDir: 'asc', limit: 2 } as const;
      const first = await m.namespaces.list(bob, q);
      const all = (await m.namespaces.list(bob, { ...q, limit: 100 })).namespaces.map((l) => l.namespace.namespace);
      assert.deepEqual(all, [...all].sort());
      assert.equal(first.next, all[1]);
      const second = await m.namespaces.list(bob, { ...q, marker: first.next });
      assert.deepEqual(
        second.namespaces.map((l) => l.namespace.namespace),
        all.slice(2, 4),
      );
      await assert.rejects(m.namespaces.list(bob, { ...q, marker: 'alice-private' }), status(404));
    });

    it('renames namespaces, objects, properties and tags, refusing names already taken', async () => {
      const ns = (await m.namespaces.create(admin, { namespace: 'ren-1', tags: ['t1', 't2'] })).namespace;
      await m.namespaces.create(admin, { namespace: 'ren-2' });
      await assert.rejects(m.namespaces.update(admin, ns, { namespace: 'ren-2' }), status(409));
      const renamed = await m.namespaces.update(admin, ns, { namespace: 'ren-3', description: 'd' });
      assert.equal(renamed.visibility, 'private');
      assert.equal(renamed.owner, 'p-admin');
      const reread = await m.namespaces.get(admin, 'ren-3');
      assert.equal(reread.description, 'd');
      assert.deepEqual(
        (await m.tags.list(reread, { sortKey: 'name', sortDir: 'asc' })).map((t) => t.name),
        ['t1', 't2'],
      );

      await m.objects.create(reread, { name: 'o1' });
      await m.objects.create(reread, { name: 'o2' });
      await assert.rejects(m.objects.create(reread, { name: 'o1' }), status(409));
      await assert.rejects(m.objects.update(reread, 'o1', { name: 'o2' }), status(409));
      const o = await m.objects.update(reread, 'o1', { name: 'o3', description: 'x' });
      assert.equal((await m.objects.get(reread, 'o3')).description, 'x');
      assert.equal(o.required, null);
      await assert.rejects(m.objects.get(reread, 'o1'), status(404));

      const def = { title: 'T', type: 'string' };
      await m.properties.create(reread, { name: 'p1', definition: def });
      await m.properties.create(reread, { name: 'p2', definition: def });
      await assert.rejects(m.properties.create(reread, { name: 'p1', definition: def }), status(409));
      await assert.rejects(m.properties.update(reread, 'p1', { name: 'p2', definition: def }), status(409));
      await m.properties.update(reread, 'p1', { name: 'p3', definition: { title: 'U', type: 'integer' } });
      assert.deepEqual((await m.properties.get(reread, 'p3')).definition, { title: 'U', type: 'integer' });

      await assert.rejects(m.tags.update(reread, 't1', 't2'), status(409));
      await m.tags.update(reread, 't1', 't9');
      await assert.rejects(m.tags.get(reread, 't1'), status(404));
      await assert.rejects(m.tags.create(reread, 't9'), status(409));
    });

    it('replaces or appends tags, pages them, and refuses duplicates atomically', async () => {
      const ns = (await m.namespaces.create(admin, { namespace: 'tags-ns', tags: ['old'] })).namespace;
      await m.tags.createMany(ns, ['x', 'y', 'z'], false);
      const byName = { sortKey: 'name', sortDir: 'asc' } as const;
      assert.deepEqual(
        (await m.tags.list(ns, byName)).map((t) => t.name),
        ['x', 'y', 'z'],
      );
      await assert.rejects(m.tags.createMany(ns, ['q', 'x'], true), status(409));
      await assert.rejects(m.tags.createMany(ns, ['q', 'q'], false), status(409));
      assert.deepEqual(
        (await m.tags.list(ns, byName)).map((t) => t.name),
        ['x', 'y', 'z'],
      );
      await m.tags.createMany(ns, ['w'], true);
      assert.deepEqual(
        (await m.tags.list(ns, { ...byName, marker: 'x', limit: 1 })).map((t) => t.name),
        ['y'],
      );
      await assert.rejects(m.tags.list(ns, { ...byName, marker: 'nope' }), status(404));
      await m.namespaces.deleteContents(ns, 'tags');
      assert.deepEqual(await m.tags.list(ns, byName), []);
    });

    it('associates and dissociates resource types', async () => {
      const ns = (await m.namespaces.create(admin, { namespace: 'rt-ns' })).namespace;
      const a = await m.resourceTypes.associate(ns, { name: 'OS::Nova::Flavor', prefix: 'hw:' });
      assert.equal(a.prefix, 'hw:');
      await assert.rejects(m.resourceTypes.associate(ns, { name: 'OS::Nova::Flavor' }), status(409));
      assert.deepEqual(
        (await m.resourceTypes.associations(ns)).map((x) => x.name),
        ['OS::Nova::Flavor'],
      );
      await m.resourceTypes.dissociate(ns, 'OS::Nova::Flavor');
      await assert.rejects(m.resourceTypes.dissociate(ns, 'OS::Nova::Flavor'), status(404));
    });

    it('deletes a namespace with everything in it; its name can be reused afresh', async () => {
      const d = await m.namespaces.create(admin, {
        namespace: 'gone',
        resourceTypeAssociations: [{ name: 'OS::Nova::Server' }],
        objects: [{ name: 'o' }],
        properties: { p: { title: 'P', type: 'string' } },
        tags: ['t'],
      });
      await m.namespaces.delete(d.namespace);
      await assert.rejects(m.namespaces.get(admin, 'gone'), status(404));
      const fresh = await m.namespaces.create(admin, { namespace: 'gone' });
      assert.deepEqual([fresh.associations, fresh.objects, fresh.properties, fresh.tags], [[], [], [], []]);
      for (const table of ['metadef_objects', 'metadef_properties', 'metadef_tags', 'metadef_namespace_resource_types'] as const) {
        const rows = await database.db.selectFrom(table).select('namespace_id').where('namespace_id', '=', d.namespace.id).execute();
        assert.equal(rows.length, 0, table);
      }
    });

    it('refuses to delete anything inside a protected namespace', async () => {
      const ns = (
        await m.namespaces.create(admin, {
          namespace: 'locked',
          protected: true,
          resourceTypeAssociations: [{ name: 'OS::Nova::Server' }],
          objects: [{ name: 'o' }],
          properties: { p: { title: 'P', type: 'string' } },
          tags: ['t'],
        })
      ).namespace;
      await assert.rejects(m.objects.delete(ns, 'o'), status(403));
      await assert.rejects(m.objects.delete(ns, 'missing'), status(404));
      await assert.rejects(m.properties.delete(ns, 'p'), status(403));
      await assert.rejects(m.tags.delete(ns, 't'), status(403));
      await assert.rejects(m.resourceTypes.dissociate(ns, 'OS::Nova::Server'), status(403));
      for (const part of ['objects', 'properties', 'tags'] as const)
        await assert.rejects(m.namespaces.deleteContents(ns, part), status(403));
      const unlocked = await m.namespaces.update(admin, ns, { namespace: 'locked', protected: false });
      await m.objects.delete(unlocked, 'o');
      await m.namespaces.delete(unlocked);
    });
  });
}

for (const b of backends) metadefContract(b);
