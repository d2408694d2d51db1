import { sql, type Kysely, type Migration } from 'kysely';
import { mysqlTableOptions } from '../../../lib/db/mysql-table-options.js';

/** The ports a server is plugged into (Nova's info cache): JSON, null until the conductor allocated them. */
export const networkInfo: Migration = {
  async up(db: Kysely<unknown>) {
    const mysql = Boolean(await mysqlTableOptions(db));
    await db.schema
      .alterTable('instances')
      .addColumn('network_info', mysql ? sql`mediumtext` : 'text')
      .execute();
  },
};
