import type { Kysely, Migration } from 'kysely';
import { portableSchema } from '../../../lib/db/mysql-table-options.js';

const TIME = 'varchar(32)';
const UUID = 'varchar(36)';

/** Instances and what hangs off them (metadata, tags, faults, actions). */
export const servers: Migration = {
  async up(db: Kysely<unknown>) {
    const { createTable, TEXT } = await portableSchema(db);
    await createTable('instances')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('uuid', UUID, (c) => c.notNull().unique())
      .addColumn('project_id', 'varchar(64)', (c) => c.notNull())
      .addColumn('user_id', 'varchar(64)', (c) => c.notNull())
      .addColumn('display_name', 'varchar(255)', (c) => c.notNull())
      .addColumn('display_description', 'varchar(255)')
      .addColumn('hostname', 'varchar(255)', (c) => c.notNull())
      .addColumn('host', 'varchar(255)')
      .addColumn('node', 'varchar(255)')
      .addColumn('vcpus', 'integer', (c) => c.notNull())
      .addColumn('memory_mb', 'integer', (c) => c.notNull())
      .addColumn('root_gb', 'integer', (c) => c.notNull())
      .addColumn('ephemeral_gb', 'integer', (c) => c.notNull())
      .addColumn('vm_state', 'varchar(32)', (c) => c.notNull())
      .addColumn('task_state', 'varchar(64)')
      .addColumn('power_state', 'integer', (c) => c.notNull())
      .addColumn('status', 'varchar(32)', (c) => c.notNull())
      .addColumn('availability_zone', 'varchar(255)')
      .addColumn('flavor', TEXT, (c) => c.notNull())
      .addColumn('flavor_id', 'varchar(255)', (c) => c.notNull())
      .addColumn('image_ref', 'varchar(255)', (c) => c.notNull())
      .addColumn('image', TEXT)
      .addColumn('key_name', 'varchar(255)')
      .addColumn('key_data', TEXT)
      .addColumn('user_data', TEXT)
      .addColumn('config_drive', 'integer', (c) => c.notNull())
      .addColumn('launch_index', 'integer', (c) => c.notNull())
      .addColumn('reservation_id', 'varchar(255)', (c) => c.notNull())
      .addColumn('locked', 'integer', (c) => c.notNull())
      .addColumn('locked_by', 'varchar(16)')
      .addColumn('locked_reason', 'varchar(255)')
      .addColumn('access_ip_v4', 'varchar(64)')
      .addColumn('access_ip_v6', 'varchar(64)')
      .addColumn('auto_disk_config', 'integer', (c) => c.notNull())
      .addColumn('security_groups', TEXT, (c) => c.notNull())
      .addColumn('scheduling', TEXT, (c) => c.notNull())
      .addColumn('progress', 'integer', (c) => c.notNull())
      .addColumn('launched_at', TIME)
      .addColumn('terminated_at', TIME)
      .addColumn('deleted', 'integer', (c) => c.notNull())
      .addColumn('created_at', TIME, (c) => c.notNull())
      .addColumn('updated_at', TIME)
      .addColumn('deleted_at', TIME)
      .execute();
    // The list query: live servers of a project, newest first (Nova's default sort).
    // uuid completes the default sort (created_at desc, uuid desc) so a page is an index range scan, never a sort of every row.
    await db.schema
      .createIndex('instances_project_list')
      .on('instances')
      .columns(['project_id', 'deleted', 'created_at', 'uuid'])
      .execute();
    await db.schema.createIndex('instances_deleted_created').on('instances').columns(['deleted', 'created_at', 'uuid']).execute();
    await db.schema.createIndex('instances_host').on('instances').columns(['host', 'deleted']).execute();
    await db.schema.createIndex('instances_vm_state').on('instances').columns(['vm_state', 'deleted']).execute();
    await db.schema.createIndex('instances_reservation').on('instances').column('reservation_id').execute();

    await createTable('instance_metadata')
      .addColumn('instance_uuid', UUID, (c) => c.notNull())
      .addColumn('key', 'varchar(255)', (c) => c.notNull())
      .addColumn('value', 'varchar(255)', (c) => c.notNull())
      .addPrimaryKeyConstraint('instance_metadata_pk', ['instance_uuid', 'key'])
      .execute();
    await createTable('instance_tags')
      .addColumn('instance_uuid', UUID, (c) => c.notNull())
      .addColumn('tag', 'varchar(80)', (c) => c.notNull())
      .addPrimaryKeyConstraint('instance_tags_pk', ['instance_uuid', 'tag'])
      .execute();
    await db.schema.createIndex('instance_tags_tag').on('instance_tags').column('tag').execute();
    await createTable('instance_faults')
      .addColumn('id', UUID, (c) => c.primaryKey())
      .addColumn('instance_uuid', UUID, (c) => c.notNull())
      .addColumn('code', 'integer', (c) => c.notNull())
      .addColumn('message', 'varchar(255)', (c) => c.notNull())
      .addColumn('details', TEXT)
      .addColumn('host', 'varchar(255)')
      .addColumn('created_at', TIME, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('instance_faults_instance').on('instance_faults').columns(['instance_uuid', 'created_at']).execute();
    await createTable('instance_actions')
      .addColumn('id', UUID, (c) => c.primaryKey())
      .addColumn('instance_uuid', UUID, (c) => c.notNull())
      .addColumn('request_id', 'varchar(255)', (c) => c.notNull())
      .addColumn('action', 'varchar(255)', (c) => c.notNull())
      .addColumn('project_id', 'varchar(64)', (c) => c.notNull())
      .addColumn('user_id', 'varchar(64)', (c) => c.notNull())
      .addColumn('message', 'varchar(255)')
      .addColumn('start_time', TIME, (c) => c.notNull())
      .addColumn('finish_time', TIME)
      .addColumn('updated_at', TIME, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('instance_actions_instance').on('instance_actions').columns(['instance_uuid', 'request_id']).execute();
    await createTable('instance_action_events')
      .addColumn('id', UUID, (c) => c.primaryKey())
      .addColumn('action_id', UUID, (c) => c.notNull())
      .addColumn('event', 'varchar(255)', (c) => c.notNull())
      .addColumn('start_time', TIME, (c) => c.notNull())
      .addColumn('finish_time', TIME)
      .addColumn('result', 'varchar(32)')
      .addColumn('traceback', TEXT)
      .addColumn('host', 'varchar(255)')
      .execute();
    await db.schema.createIndex('instance_action_events_action').on('instance_action_events').column('action_id').execute();
  },
};
