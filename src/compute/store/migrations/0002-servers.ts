import type { Kysely, Migration } from 'kysely';

/** Instances and what hangs off them (metadata, tags, faults, actions, block device mappings). */
export const servers: Migration = {
  async up(_db: Kysely<unknown>) {
    // filled in by the servers part
  },
};
