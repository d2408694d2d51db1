import { sql, type Kysely, type Migration } from 'kysely';
import { mysqlTableOptions } from '../../../lib/db/mysql-table-options.js';

/**
 * Which of several stores (`image.stores`) hold a copy of each image's data,
 * and where. Unused with a single store, whose location stays on the image row.
 */
export const stores: Migration = {
  async up(db: Kysely<unknown>) {
    const options = await mysqlTableOptions(db);
    const t = db.schema.createTable('image_store_data');
    await (options ? t.modifyEnd(sql.raw(options)) : t)
      .addColumn('image_id', 'varchar(64)', (c) => c.notNull())
      .addColumn('store_id', 'varchar(64)', (c) => c.notNull())
      .addColumn('location', 'varchar(1024)', (c) => c.notNull())
      .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
      .addPrimaryKeyConstraint('image_store_data_pk', ['image_id', 'store_id'])
      .execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('image_store_data').execute();
  },
};
