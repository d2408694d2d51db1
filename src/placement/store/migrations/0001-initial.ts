import type { Kysely, Migration } from 'kysely';
import { portableSchema } from '../../../lib/db/mysql-table-options.js';

const UUID = 'varchar(36)';
const NAME = 'varchar(255)';
const TIME = 'varchar(32)';

export const initial: Migration = {
  async up(db: Kysely<unknown>) {
    const { createTable } = await portableSchema(db);
    const s = db.schema;
    await createTable('resource_providers')
      .addColumn('uuid', UUID, (c) => c.primaryKey())
      .addColumn('name', 'varchar(200)', (c) => c.notNull().unique())
      .addColumn('generation', 'integer', (c) => c.notNull())
      .addColumn('parent_uuid', UUID)
      .addColumn('root_uuid', UUID, (c) => c.notNull())
      .addColumn('created_at', TIME, (c) => c.notNull())
      .addColumn('updated_at', TIME, (c) => c.notNull())
      .execute();
    await s.createIndex('resource_providers_parent').on('resource_providers').column('parent_uuid').execute();
    await s.createIndex('resource_providers_root').on('resource_providers').column('root_uuid').execute();
    await createTable('inventories')
      .addColumn('provider_uuid', UUID, (c) => c.notNull())
      .addColumn('resource_class', NAME, (c) => c.notNull())
      .addColumn('total', 'bigint', (c) => c.notNull())
      .addColumn('reserved', 'bigint', (c) => c.notNull())
      .addColumn('min_unit', 'bigint', (c) => c.notNull())
      .addColumn('max_unit', 'bigint', (c) => c.notNull())
      .addColumn('step_size', 'bigint', (c) => c.notNull())
      .addColumn('allocation_ratio', 'double precision', (c) => c.notNull())
      .addPrimaryKeyConstraint('inventories_pk', ['provider_uuid', 'resource_class'])
      .execute();
    await s.createIndex('inventories_class').on('inventories').column('resource_class').execute();
    for (const t of ['custom_resource_classes', 'custom_traits']) {
      await createTable(t)
        .addColumn('name', NAME, (c) => c.primaryKey())
        .addColumn('created_at', TIME, (c) => c.notNull())
        .addColumn('updated_at', TIME, (c) => c.notNull())
        .execute();
    }
    await createTable('provider_traits')
      .addColumn('provider_uuid', UUID, (c) => c.notNull())
      .addColumn('trait', NAME, (c) => c.notNull())
      .addPrimaryKeyConstraint('provider_traits_pk', ['provider_uuid', 'trait'])
      .execute();
    await s.createIndex('provider_traits_trait').on('provider_traits').column('trait').execute();
    await createTable('provider_aggregates')
      .addColumn('provider_uuid', UUID, (c) => c.notNull())
      .addColumn('aggregate_uuid', UUID, (c) => c.notNull())
      .addPrimaryKeyConstraint('provider_aggregates_pk', ['provider_uuid', 'aggregate_uuid'])
      .execute();
    await s.createIndex('provider_aggregates_agg').on('provider_aggregates').column('aggregate_uuid').execute();
    await createTable('consumers')
      .addColumn('uuid', UUID, (c) => c.primaryKey())
      .addColumn('project_id', NAME, (c) => c.notNull())
      .addColumn('user_id', NAME, (c) => c.notNull())
      .addColumn('consumer_type', NAME)
      .addColumn('generation', 'integer', (c) => c.notNull())
      .addColumn('created_at', TIME, (c) => c.notNull())
      .addColumn('updated_at', TIME, (c) => c.notNull())
      .execute();
    await s.createIndex('consumers_project').on('consumers').columns(['project_id', 'user_id']).execute();
    await createTable('allocations')
      .addColumn('consumer_uuid', UUID, (c) => c.notNull())
      .addColumn('provider_uuid', UUID, (c) => c.notNull())
      .addColumn('resource_class', NAME, (c) => c.notNull())
      .addColumn('used', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('allocations_pk', ['consumer_uuid', 'provider_uuid', 'resource_class'])
      .execute();
    await s.createIndex('allocations_provider').on('allocations').columns(['provider_uuid', 'resource_class']).execute();
  },
};
