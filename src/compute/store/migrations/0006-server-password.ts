import type { Kysely, Migration } from 'kysely';

/** The password a guest posts to the metadata service (encrypted with its key pair by the guest), shown by os-server-password. */
export const serverPassword: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('instances').addColumn('password', 'text').execute();
  },
};
