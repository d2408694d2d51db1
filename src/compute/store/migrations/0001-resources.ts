import type { Kysely, Migration } from 'kysely';

/** Flavors, key pairs, quotas, services, compute nodes, server groups. */
export const resources: Migration = {
  async up(_db: Kysely<unknown>) {
    // filled in by the resources part
  },
};
