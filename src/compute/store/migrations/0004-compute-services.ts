import type { Kysely, Migration } from 'kysely';

/**
 * Databases made before 0001 named the table `compute_services` hold it as
 * `services`, a name the identity service also uses: rename it so every
 * service can share one database.
 */
export const computeServices: Migration = {
  async up(db: Kysely<unknown>) {
    const names = new Set((await db.introspection.getTables()).map((t) => t.name));
    if (names.has('services') && !names.has('compute_services'))
      await db.schema.alterTable('services').renameTo('compute_services').execute();
  },
};
