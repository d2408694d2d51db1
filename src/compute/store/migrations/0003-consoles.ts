import type { Kysely, Migration } from 'kysely';
import { portableSchema } from '../../../lib/db/mysql-table-options.js';

const TIME = 'varchar(32)';

/** Console authorization tokens. */
export const consoles: Migration = {
  async up(db: Kysely<unknown>) {
    const { createTable } = await portableSchema(db);
    await createTable('console_auth_tokens')
      .addColumn('token_hash', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('instance_uuid', 'varchar(36)', (c) => c.notNull())
      .addColumn('console_type', 'varchar(32)', (c) => c.notNull())
      .addColumn('host', 'varchar(255)', (c) => c.notNull())
      .addColumn('port', 'integer', (c) => c.notNull())
      .addColumn('internal_access_path', 'varchar(255)')
      .addColumn('access_url_base', 'varchar(255)', (c) => c.notNull())
      .addColumn('expires_at', TIME, (c) => c.notNull())
      .addColumn('created_at', TIME, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('console_auth_tokens_instance').on('console_auth_tokens').column('instance_uuid').execute();
    await db.schema.createIndex('console_auth_tokens_expires').on('console_auth_tokens').column('expires_at').execute();
  },
};
