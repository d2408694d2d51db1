import type { Kysely, Migration } from 'kysely';
import { portableSchema } from '../../../lib/db/mysql-table-options.js';

const ID = 'varchar(64)';
const NAME = 'varchar(255)';
const TIME = 'varchar(32)';

export const initial: Migration = {
  async up(db: Kysely<unknown>) {
    const { TEXT, createTable } = await portableSchema(db);
    const s = db.schema;
    await createTable('images')
      .addColumn('id', ID, (c) => c.primaryKey())
      .addColumn('name', NAME)
      .addColumn('status', 'varchar(32)', (c) => c.notNull())
      .addColumn('visibility', 'varchar(16)', (c) => c.notNull())
      .addColumn('protected', 'integer', (c) => c.notNull())
      .addColumn('os_hidden', 'integer', (c) => c.notNull())
      .addColumn('owner', NAME)
      .addColumn('checksum', 'varchar(32)')
      .addColumn('os_hash_algo', 'varchar(64)')
      .addColumn('os_hash_value', 'varchar(128)')
      .addColumn('size', 'bigint')
      .addColumn('virtual_size', 'bigint')
      .addColumn('min_disk', 'integer', (c) => c.notNull())
      .addColumn('min_ram', 'integer', (c) => c.notNull())
      .addColumn('disk_format', 'varchar(32)')
      .addColumn('container_format', 'varchar(32)')
      .addColumn('location', TEXT)
      .addColumn('staged_size', 'bigint')
      .addColumn('staged_location', TEXT)
      .addColumn('created_at', TIME, (c) => c.notNull())
      .addColumn('updated_at', TIME, (c) => c.notNull())
      .addColumn('deleted', 'integer', (c) => c.notNull())
      .addColumn('deleted_at', TIME)
      .execute();
    await s.createIndex('images_owner').on('images').columns(['owner', 'deleted']).execute();
    await s.createIndex('images_visibility').on('images').columns(['visibility', 'deleted']).execute();
    await s.createIndex('images_created').on('images').columns(['created_at', 'id']).execute();
    await createTable('image_properties')
      .addColumn('image_id', ID, (c) => c.notNull())
      .addColumn('name', NAME, (c) => c.notNull())
      .addColumn('value', TEXT, (c) => c.notNull())
      .addPrimaryKeyConstraint('image_properties_pk', ['image_id', 'name'])
      .execute();
    await createTable('image_tags')
      .addColumn('image_id', ID, (c) => c.notNull())
      .addColumn('value', NAME, (c) => c.notNull())
      .addPrimaryKeyConstraint('image_tags_pk', ['image_id', 'value'])
      .execute();
    await createTable('image_members')
      .addColumn('image_id', ID, (c) => c.notNull())
      .addColumn('member', NAME, (c) => c.notNull())
      .addColumn('status', 'varchar(20)', (c) => c.notNull())
      .addColumn('created_at', TIME, (c) => c.notNull())
      .addColumn('updated_at', TIME, (c) => c.notNull())
      .addPrimaryKeyConstraint('image_members_pk', ['image_id', 'member'])
      .execute();
    await s.createIndex('image_members_member').on('image_members').columns(['member', 'status']).execute();
  },
  async down(db: Kysely<unknown>) {
    for (const t of ['image_members', 'image_tags', 'image_properties', 'images']) await db.schema.dropTable(t).execute();
  },
};
