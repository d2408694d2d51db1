import type { Kysely, Migration } from 'kysely';
import { portableSchema } from '../../../lib/db/mysql-table-options.js';

// Key columns are varchar(64) and names varchar(255) so MariaDB can index them under utf8mb4.
const ID = 'varchar(64)';
const NAME = 'varchar(255)';
const TIME = 'varchar(32)';

export const initial: Migration = {
  async up(db: Kysely<unknown>) {
    const { TEXT, createTable } = await portableSchema(db);
    const s = db.schema;
    await createTable('domains')
      .addColumn('id', ID, (c) => c.primaryKey())
      .addColumn('name', NAME, (c) => c.notNull().unique())
      .addColumn('description', TEXT)
      .addColumn('enabled', 'integer', (c) => c.notNull())
      .addColumn('extra', TEXT, (c) => c.notNull())
      .execute();
    await createTable('projects')
      .addColumn('id', ID, (c) => c.primaryKey())
      .addColumn('name', NAME, (c) => c.notNull())
      .addColumn('domain_id', ID, (c) => c.notNull())
      .addColumn('parent_id', ID)
      .addColumn('description', TEXT)
      .addColumn('enabled', 'integer', (c) => c.notNull())
      .addColumn('extra', TEXT, (c) => c.notNull())
      .addUniqueConstraint('projects_domain_name', ['domain_id', 'name'])
      .execute();
    await s.createIndex('projects_parent').on('projects').column('parent_id').execute();
    await createTable('project_tags')
      .addColumn('project_id', ID, (c) => c.notNull())
      .addColumn('name', NAME, (c) => c.notNull())
      .addPrimaryKeyConstraint('project_tags_pk', ['project_id', 'name'])
      .execute();
    await createTable('users')
      .addColumn('id', ID, (c) => c.primaryKey())
      .addColumn('name', NAME, (c) => c.notNull())
      .addColumn('domain_id', ID, (c) => c.notNull())
      .addColumn('enabled', 'integer', (c) => c.notNull())
      .addColumn('default_project_id', ID)
      .addColumn('extra', TEXT, (c) => c.notNull())
      .addColumn('options', TEXT, (c) => c.notNull())
      .addColumn('created_at', TIME, (c) => c.notNull())
      .addColumn('last_active_at', TIME)
      .addColumn('failed_auth_count', 'integer', (c) => c.notNull())
      .addColumn('failed_auth_at', TIME)
      .addUniqueConstraint('users_domain_name', ['domain_id', 'name'])
      .execute();
    await createTable('passwords')
      .addColumn('id', ID, (c) => c.primaryKey())
      .addColumn('user_id', ID, (c) => c.notNull())
      .addColumn('hash', NAME, (c) => c.notNull())
      .addColumn('created_at', TIME, (c) => c.notNull())
      .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', TIME)
      .addColumn('self_service', 'integer', (c) => c.notNull())
      .execute();
    await s.createIndex('passwords_user').on('passwords').columns(['user_id', 'created_at_ms']).execute();
    await createTable('groups')
      .addColumn('id', ID, (c) => c.primaryKey())
      .addColumn('name', NAME, (c) => c.notNull())
      .addColumn('domain_id', ID, (c) => c.notNull())
      .addColumn('description', TEXT)
      .addColumn('extra', TEXT, (c) => c.notNull())
      .addUniqueConstraint('groups_domain_name', ['domain_id', 'name'])
      .execute();
    await createTable('group_members')
      .addColumn('group_id', ID, (c) => c.notNull())
      .addColumn('user_id', ID, (c) => c.notNull())
      .addPrimaryKeyConstraint('group_members_pk', ['group_id', 'user_id'])
      .execute();
    await s.createIndex('group_members_user').on('group_members').column('user_id').execute();
    await createTable('roles')
      .addColumn('id', ID, (c) => c.primaryKey())
      .addColumn('name', NAME, (c) => c.notNull())
      .addColumn('domain_id', ID, (c) => c.notNull())
      .addColumn('description', TEXT)
      .addColumn('extra', TEXT, (c) => c.notNull())
      .addColumn('options', TEXT, (c) => c.notNull())
      .addUniqueConstraint('roles_name_domain', ['name', 'domain_id'])
      .execute();
    await createTable('implied_roles')
      .addColumn('prior_role_id', ID, (c) => c.notNull())
      .addColumn('implied_role_id', ID, (c) => c.notNull())
      .addPrimaryKeyConstraint('implied_roles_pk', ['prior_role_id', 'implied_role_id'])
      .execute();
    await createTable('assignments')
      .addColumn('type', 'varchar(16)', (c) => c.notNull())
      .addColumn('actor_id', ID, (c) => c.notNull())
      .addColumn('target_id', ID, (c) => c.notNull())
      .addColumn('role_id', ID, (c) => c.notNull())
      .addColumn('inherited', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('assignments_pk', ['type', 'actor_id', 'target_id', 'role_id', 'inherited'])
      .execute();
    await s.createIndex('assignments_actor').on('assignments').column('actor_id').execute();
    await s.createIndex('assignments_target').on('assignments').column('target_id').execute();
    await s.createIndex('assignments_role').on('assignments').column('role_id').execute();
    await createTable('regions')
      .addColumn('id', NAME, (c) => c.primaryKey())
      .addColumn('description', TEXT, (c) => c.notNull())
      .addColumn('parent_region_id', NAME)
      .addColumn('extra', TEXT, (c) => c.notNull())
      .execute();
    await createTable('services')
      .addColumn('id', ID, (c) => c.primaryKey())
      .addColumn('type', NAME, (c) => c.notNull())
      .addColumn('enabled', 'integer', (c) => c.notNull())
      .addColumn('extra', TEXT, (c) => c.notNull())
      .execute();
    await createTable('endpoints')
      .addColumn('id', ID, (c) => c.primaryKey())
      .addColumn('service_id', ID, (c) => c.notNull())
      .addColumn('region_id', NAME)
      .addColumn('interface', 'varchar(8)', (c) => c.notNull())
      .addColumn('url', TEXT, (c) => c.notNull())
      .addColumn('enabled', 'integer', (c) => c.notNull())
      .addColumn('extra', TEXT, (c) => c.notNull())
      .execute();
    await createTable('application_credentials')
      .addColumn('id', ID, (c) => c.primaryKey())
      .addColumn('name', NAME, (c) => c.notNull())
      .addColumn('user_id', ID, (c) => c.notNull())
      .addColumn('project_id', ID)
      .addColumn('system', 'varchar(16)')
      .addColumn('secret_hash', NAME, (c) => c.notNull())
      .addColumn('description', TEXT)
      .addColumn('expires_at', TIME)
      .addColumn('unrestricted', 'integer', (c) => c.notNull())
      .addColumn('created_at', TIME, (c) => c.notNull())
      .addUniqueConstraint('app_creds_user_name', ['user_id', 'name'])
      .execute();
    await createTable('app_cred_roles')
      .addColumn('app_cred_id', ID, (c) => c.notNull())
      .addColumn('role_id', ID, (c) => c.notNull())
      .addPrimaryKeyConstraint('app_cred_roles_pk', ['app_cred_id', 'role_id'])
      .execute();
    await createTable('credentials')
      .addColumn('id', ID, (c) => c.primaryKey())
      .addColumn('user_id', ID, (c) => c.notNull())
      .addColumn('project_id', ID)
      .addColumn('type', NAME, (c) => c.notNull())
      .addColumn('blob', TEXT, (c) => c.notNull())
      .addColumn('extra', TEXT, (c) => c.notNull())
      .execute();
    await s.createIndex('credentials_user').on('credentials').column('user_id').execute();
    await createTable('revocation_events')
      .addColumn('id', ID, (c) => c.primaryKey())
      .addColumn('user_id', ID)
      .addColumn('project_id', ID)
      .addColumn('domain_id', ID)
      .addColumn('role_id', ID)
      .addColumn('audit_id', ID)
      .addColumn('audit_chain_id', ID)
      .addColumn('issued_before', TIME, (c) => c.notNull())
      .addColumn('revoked_at', TIME, (c) => c.notNull())
      .addColumn('expires_at', TIME)
      .execute();
    await s.createIndex('revocation_events_revoked').on('revocation_events').column('revoked_at').execute();
    await createTable('policies')
      .addColumn('id', ID, (c) => c.primaryKey())
      .addColumn('type', NAME, (c) => c.notNull())
      .addColumn('blob', TEXT, (c) => c.notNull())
      .addColumn('extra', TEXT, (c) => c.notNull())
      .execute();
  },
  async down(db: Kysely<unknown>) {
    for (const t of [
      'policies',
      'revocation_events',
      'credentials',
      'app_cred_roles',
      'application_credentials',
      'endpoints',
      'services',
      'regions',
      'assignments',
      'implied_roles',
      'roles',
      'group_members',
      'groups',
      'passwords',
      'users',
      'project_tags',
      'projects',
      'domains',
    ]) {
      await db.schema.dropTable(t).ifExists().execute();
    }
  },
};
