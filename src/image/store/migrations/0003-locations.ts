import { sql, type Kysely, type Migration } from 'kysely';
import { mysqlTableOptions } from '../../../lib/db/mysql-table-options.js';

/**
 * External locations users give an image (Glance's locations API with
 * `show_multiple_locations`), in order. Kumo's own copy of the data stays in
 * `images.location`: a user never sets that one.
 */
export const locations: Migration = {
  async up(db: Kysely<unknown>) {
    const options = await mysqlTableOptions(db);
    const TEXT = options ? sql`mediumtext` : 'text';
    const t = db.schema.createTable('image_locations');
    await (options ? t.modifyEnd(sql.raw(options)) : t)
      .addColumn('image_id', 'varchar(64)', (c) => c.notNull())
      .addColumn('position', 'integer', (c) => c.notNull())
      // Glance's schema bounds a location URL to 255 characters.
      .addColumn('url', 'varchar(255)', (c) => c.notNull())
      .addColumn('metadata', TEXT, (c) => c.notNull())
      .addPrimaryKeyConstraint('image_locations_pk', ['image_id', 'position'])
      .execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('image_locations').execute();
  },
};
