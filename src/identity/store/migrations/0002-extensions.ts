import type { Kysely, Migration } from 'kysely';

const ID = 'varchar(64)';
const NAME = 'varchar(255)';

/** OS-EP-FILTER endpoint groups and project associations, OS-OAUTH1 consumers, domain-specific configuration. */
export const extensions: Migration = {
  async up(db: Kysely<unknown>) {
    const s = db.schema;
    await s
      .createTable('endpoint_groups')
      .addColumn('id', ID, (c) => c.primaryKey())
      .addColumn('name', NAME, (c) => c.notNull())
      .addColumn('description', 'text')
      .addColumn('filters', 'text', (c) => c.notNull())
      .execute();
    await s
      .createTable('project_endpoint_groups')
      .addColumn('endpoint_group_id', ID, (c) => c.notNull())
      .addColumn('project_id', ID, (c) => c.notNull())
      .addPrimaryKeyConstraint('project_endpoint_groups_pk', ['endpoint_group_id', 'project_id'])
      .execute();
    await s
      .createTable('project_endpoints')
      .addColumn('endpoint_id', ID, (c) => c.notNull())
      .addColumn('project_id', ID, (c) => c.notNull())
      .addPrimaryKeyConstraint('project_endpoints_pk', ['endpoint_id', 'project_id'])
      .execute();
    await s
      .createTable('oauth_consumers')
      .addColumn('id', ID, (c) => c.primaryKey())
      .addColumn('description', 'text')
      .addColumn('secret_hash', NAME, (c) => c.notNull())
      .addColumn('extra', 'text', (c) => c.notNull())
      .execute();
    await s
      .createTable('domain_configs')
      .addColumn('domain_id', ID, (c) => c.notNull())
      .addColumn('group_name', 'varchar(32)', (c) => c.notNull())
      .addColumn('option_name', 'varchar(64)', (c) => c.notNull())
      .addColumn('value', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('domain_configs_pk', ['domain_id', 'group_name', 'option_name'])
      .execute();
  },
  async down(db: Kysely<unknown>) {
    for (const t of ['domain_configs', 'oauth_consumers', 'project_endpoints', 'project_endpoint_groups', 'endpoint_groups']) {
      await db.schema.dropTable(t).ifExists().execute();
    }
  },
};
