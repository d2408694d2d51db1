import type { Kysely, Migration } from 'kysely';
import { portableSchema } from '../../../lib/db/mysql-table-options.js';

const TIME = 'varchar(32)';
const UUID = 'varchar(36)';

/** Flavors, key pairs, quotas, services, compute nodes, server groups, aggregates. */
export const resources: Migration = {
  async up(db: Kysely<unknown>) {
    const { createTable, TEXT } = await portableSchema(db);
    await createTable('flavors')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('flavorid', 'varchar(255)', (c) => c.notNull())
      .addColumn('name', 'varchar(255)', (c) => c.notNull())
      .addColumn('vcpus', 'integer', (c) => c.notNull())
      .addColumn('memory_mb', 'integer', (c) => c.notNull())
      .addColumn('root_gb', 'integer', (c) => c.notNull())
      .addColumn('ephemeral_gb', 'integer', (c) => c.notNull())
      .addColumn('swap', 'integer', (c) => c.notNull())
      .addColumn('rxtx_factor', 'double precision', (c) => c.notNull())
      .addColumn('is_public', 'integer', (c) => c.notNull())
      .addColumn('disabled', 'integer', (c) => c.notNull())
      .addColumn('description', TEXT)
      .addColumn('deleted', 'integer', (c) => c.notNull())
      .addColumn('created_at', TIME, (c) => c.notNull())
      .addColumn('updated_at', TIME)
      .addColumn('deleted_at', TIME)
      .execute();
    // Live flavorids/names are unique: deleted rows carry deleted = their id.
    await db.schema.createIndex('flavors_flavorid').on('flavors').columns(['flavorid', 'deleted']).unique().execute();
    await db.schema.createIndex('flavors_name').on('flavors').columns(['name', 'deleted']).unique().execute();
    await createTable('flavor_extra_specs')
      .addColumn('flavor_id', 'integer', (c) => c.notNull())
      .addColumn('key', 'varchar(255)', (c) => c.notNull())
      .addColumn('value', 'varchar(255)', (c) => c.notNull())
      .addPrimaryKeyConstraint('flavor_extra_specs_pk', ['flavor_id', 'key'])
      .execute();
    await createTable('flavor_projects')
      .addColumn('flavor_id', 'integer', (c) => c.notNull())
      .addColumn('project_id', 'varchar(255)', (c) => c.notNull())
      .addPrimaryKeyConstraint('flavor_projects_pk', ['flavor_id', 'project_id'])
      .execute();
    await createTable('key_pairs')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('user_id', 'varchar(255)', (c) => c.notNull())
      .addColumn('name', 'varchar(255)', (c) => c.notNull())
      .addColumn('type', 'varchar(16)', (c) => c.notNull())
      .addColumn('public_key', TEXT, (c) => c.notNull())
      .addColumn('fingerprint', 'varchar(255)', (c) => c.notNull())
      .addColumn('created_at', TIME, (c) => c.notNull())
      .addUniqueConstraint('key_pairs_user_name', ['user_id', 'name'])
      .execute();
    await createTable('quotas')
      .addColumn('project_id', 'varchar(255)', (c) => c.notNull())
      .addColumn('user_id', 'varchar(255)', (c) => c.notNull())
      .addColumn('resource', 'varchar(255)', (c) => c.notNull())
      .addColumn('hard_limit', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('quotas_pk', ['project_id', 'user_id', 'resource'])
      .execute();
    await createTable('quota_classes')
      .addColumn('class_name', 'varchar(255)', (c) => c.notNull())
      .addColumn('resource', 'varchar(255)', (c) => c.notNull())
      .addColumn('hard_limit', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('quota_classes_pk', ['class_name', 'resource'])
      .execute();
    // Named `services` until 0004 renamed it: identity has a `services` table too, and one shared database must hold both.
    await createTable('compute_services')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('uuid', UUID, (c) => c.notNull().unique())
      .addColumn('host', 'varchar(255)', (c) => c.notNull())
      .addColumn('binary', 'varchar(255)', (c) => c.notNull())
      .addColumn('topic', 'varchar(255)', (c) => c.notNull())
      .addColumn('disabled', 'integer', (c) => c.notNull())
      .addColumn('disabled_reason', 'varchar(255)')
      .addColumn('forced_down', 'integer', (c) => c.notNull())
      .addColumn('last_seen_up', TIME)
      .addColumn('report_count', 'integer', (c) => c.notNull())
      .addColumn('version', 'integer', (c) => c.notNull())
      .addColumn('created_at', TIME, (c) => c.notNull())
      .addColumn('updated_at', TIME)
      .addUniqueConstraint('compute_services_host_binary', ['host', 'binary'])
      .execute();
    await createTable('compute_nodes')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('uuid', UUID, (c) => c.notNull().unique())
      .addColumn('service_id', 'integer', (c) => c.notNull())
      .addColumn('host', 'varchar(255)', (c) => c.notNull())
      .addColumn('hypervisor_hostname', 'varchar(255)', (c) => c.notNull().unique())
      .addColumn('hypervisor_type', 'varchar(255)', (c) => c.notNull())
      .addColumn('hypervisor_version', 'integer', (c) => c.notNull())
      .addColumn('vcpus', 'integer', (c) => c.notNull())
      .addColumn('memory_mb', 'integer', (c) => c.notNull())
      .addColumn('local_gb', 'integer', (c) => c.notNull())
      .addColumn('host_ip', 'varchar(64)', (c) => c.notNull())
      .addColumn('cpu_info', TEXT, (c) => c.notNull())
      .addColumn('provider_uuid', UUID, (c) => c.notNull())
      .addColumn('created_at', TIME, (c) => c.notNull())
      .addColumn('updated_at', TIME)
      .execute();
    await createTable('server_groups')
      .addColumn('uuid', UUID, (c) => c.primaryKey())
      .addColumn('name', 'varchar(255)', (c) => c.notNull())
      .addColumn('project_id', 'varchar(255)', (c) => c.notNull())
      .addColumn('user_id', 'varchar(255)', (c) => c.notNull())
      .addColumn('policy', 'varchar(32)', (c) => c.notNull())
      .addColumn('rules', TEXT, (c) => c.notNull())
      .addColumn('created_at', TIME, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('server_groups_project').on('server_groups').columns(['project_id', 'created_at']).execute();
    await createTable('server_group_members')
      .addColumn('group_uuid', UUID, (c) => c.notNull())
      .addColumn('instance_uuid', UUID, (c) => c.primaryKey())
      .execute();
    await db.schema.createIndex('server_group_members_group').on('server_group_members').columns(['group_uuid']).execute();
    await createTable('aggregates')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('uuid', UUID, (c) => c.notNull().unique())
      .addColumn('name', 'varchar(255)', (c) => c.notNull().unique())
      .addColumn('created_at', TIME, (c) => c.notNull())
      .addColumn('updated_at', TIME)
      .execute();
    await createTable('aggregate_hosts')
      .addColumn('aggregate_id', 'integer', (c) => c.notNull())
      .addColumn('host', 'varchar(255)', (c) => c.notNull())
      .addPrimaryKeyConstraint('aggregate_hosts_pk', ['aggregate_id', 'host'])
      .execute();
    await createTable('aggregate_metadata')
      .addColumn('aggregate_id', 'integer', (c) => c.notNull())
      .addColumn('key', 'varchar(255)', (c) => c.notNull())
      .addColumn('value', 'varchar(255)', (c) => c.notNull())
      .addPrimaryKeyConstraint('aggregate_metadata_pk', ['aggregate_id', 'key'])
      .execute();
  },
};
