import type { Kysely, Migration } from 'kysely';
import { portableSchema } from '../../../lib/db/mysql-table-options.js';

const TIME = 'varchar(32)';
const UUID = 'varchar(36)';

/** Networks, subnets, ports, security groups, routers, floating IPs; claims; quotas. */
export const resources: Migration = {
  async up(db: Kysely<unknown>) {
    const { createTable, TEXT } = await portableSchema(db);
    await createTable('network_resources')
      .addColumn('id', UUID, (c) => c.primaryKey())
      .addColumn('kind', 'varchar(32)', (c) => c.notNull())
      .addColumn('project_id', 'varchar(255)', (c) => c.notNull())
      .addColumn('parent_id', UUID)
      .addColumn('body', TEXT, (c) => c.notNull())
      .addColumn('revision_number', 'integer', (c) => c.notNull())
      .addColumn('created_at', TIME, (c) => c.notNull())
      .addColumn('updated_at', TIME, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('network_resources_kind_project').on('network_resources').columns(['kind', 'project_id']).execute();
    await db.schema.createIndex('network_resources_parent').on('network_resources').columns(['parent_id', 'kind']).execute();
    await createTable('network_claims')
      .addColumn('claim', 'varchar(255)', (c) => c.primaryKey())
      .addColumn('owner_id', UUID, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('network_claims_owner').on('network_claims').column('owner_id').execute();
    await createTable('network_quotas')
      .addColumn('project_id', 'varchar(255)', (c) => c.notNull())
      .addColumn('resource', 'varchar(64)', (c) => c.notNull())
      .addColumn('hard_limit', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('network_quotas_pk', ['project_id', 'resource'])
      .execute();
  },
  async down(db: Kysely<unknown>) {
    for (const t of ['network_quotas', 'network_claims', 'network_resources']) await db.schema.dropTable(t).execute();
  },
};
