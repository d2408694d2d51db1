import type { Kysely, Migration } from 'kysely';

const ID = 'varchar(64)';

/** OS-TRUST trusts and the roles each delegates. */
export const trusts: Migration = {
  async up(db: Kysely<unknown>) {
    const s = db.schema;
    await s
      .createTable('trusts')
      .addColumn('id', ID, (c) => c.primaryKey())
      .addColumn('trustor_user_id', ID, (c) => c.notNull())
      .addColumn('trustee_user_id', ID, (c) => c.notNull())
      .addColumn('project_id', ID)
      .addColumn('impersonation', 'integer', (c) => c.notNull())
      .addColumn('expires_at', 'varchar(32)')
      .addColumn('remaining_uses', 'integer')
      .addColumn('allow_redelegation', 'integer', (c) => c.notNull())
      .addColumn('redelegation_count', 'integer')
      .addColumn('deleted_at', 'varchar(32)')
      .addColumn('extra', 'text', (c) => c.notNull())
      .execute();
    await s.createIndex('trusts_trustor_idx').on('trusts').column('trustor_user_id').execute();
    await s.createIndex('trusts_trustee_idx').on('trusts').column('trustee_user_id').execute();
    await s
      .createTable('trust_roles')
      .addColumn('trust_id', ID, (c) => c.notNull())
      .addColumn('role_id', ID, (c) => c.notNull())
      .addPrimaryKeyConstraint('trust_roles_pk', ['trust_id', 'role_id'])
      .execute();
  },
  async down(db: Kysely<unknown>) {
    for (const t of ['trust_roles', 'trusts']) await db.schema.dropTable(t).ifExists().execute();
  },
};
