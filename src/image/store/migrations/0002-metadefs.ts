import type { Kysely, Migration } from 'kysely';
import { portableSchema } from '../../../lib/db/mysql-table-options.js';

const ID = 'varchar(64)';
/** Glance bounds every metadef name (namespace, object, property, tag, resource type, prefix) to 80. */
const NAME = 'varchar(80)';
const TIME = 'varchar(32)';

/**
 * Resource types every Glance deployment has from its first migration
 * (OS::Nova::Instance was renamed OS::Nova::Server in Mitaka). Associating
 * a namespace with any other name creates that type on the fly, as Glance does.
 */
const SEEDED_RESOURCE_TYPES = ['OS::Glance::Image', 'OS::Cinder::Volume', 'OS::Nova::Flavor', 'OS::Nova::Aggregate', 'OS::Nova::Server'];

export const metadefs: Migration = {
  async up(db: Kysely<unknown>) {
    const { TEXT, createTable } = await portableSchema(db);
    const s = db.schema;
    await createTable('metadef_namespaces')
      .addColumn('id', ID, (c) => c.primaryKey())
      .addColumn('namespace', NAME, (c) => c.notNull().unique())
      .addColumn('display_name', NAME)
      .addColumn('description', TEXT)
      .addColumn('visibility', 'varchar(16)', (c) => c.notNull())
      .addColumn('protected', 'integer', (c) => c.notNull())
      .addColumn('owner', 'varchar(255)')
      .addColumn('created_at', TIME, (c) => c.notNull())
      .addColumn('updated_at', TIME, (c) => c.notNull())
      .execute();
    await s.createIndex('metadef_namespaces_owner').on('metadef_namespaces').column('owner').execute();
    for (const table of ['metadef_objects', 'metadef_properties', 'metadef_tags']) {
      let t = createTable(table)
        .addColumn('id', ID, (c) => c.primaryKey())
        .addColumn('namespace_id', ID, (c) => c.notNull())
        .addColumn('name', NAME, (c) => c.notNull());
      if (table === 'metadef_objects') t = t.addColumn('description', TEXT).addColumn('required', TEXT).addColumn('properties', TEXT);
      if (table === 'metadef_properties') t = t.addColumn('definition', TEXT, (c) => c.notNull());
      await t
        .addColumn('created_at', TIME, (c) => c.notNull())
        .addColumn('updated_at', TIME, (c) => c.notNull())
        .addUniqueConstraint(`${table}_name`, ['namespace_id', 'name'])
        .execute();
    }
    await createTable('metadef_resource_types')
      .addColumn('name', NAME, (c) => c.primaryKey())
      .addColumn('protected', 'integer', (c) => c.notNull())
      .addColumn('created_at', TIME, (c) => c.notNull())
      .addColumn('updated_at', TIME, (c) => c.notNull())
      .execute();
    await createTable('metadef_namespace_resource_types')
      .addColumn('namespace_id', ID, (c) => c.notNull())
      .addColumn('resource_type', NAME, (c) => c.notNull())
      .addColumn('prefix', NAME)
      .addColumn('properties_target', NAME)
      .addColumn('created_at', TIME, (c) => c.notNull())
      .addColumn('updated_at', TIME, (c) => c.notNull())
      .addPrimaryKeyConstraint('metadef_namespace_resource_types_pk', ['namespace_id', 'resource_type'])
      .execute();
    await s.createIndex('metadef_ns_resource_types_type').on('metadef_namespace_resource_types').column('resource_type').execute();
    const now = new Date().toISOString();
    await (db as Kysely<Record<string, Record<string, unknown>>>)
      .insertInto('metadef_resource_types')
      .values(SEEDED_RESOURCE_TYPES.map((name) => ({ name, protected: 1, created_at: now, updated_at: now })))
      .execute();
  },
  async down(db: Kysely<unknown>) {
    for (const t of [
      'metadef_namespace_resource_types',
      'metadef_resource_types',
      'metadef_tags',
      'metadef_properties',
      'metadef_objects',
      'metadef_namespaces',
    ]) {
      await db.schema.dropTable(t).execute();
    }
  },
};
