import type { Kysely } from 'kysely';
import type { Database } from '../../lib/db/database.js';
import type { IdentityDB } from './schema.js';

/** The identity service's database handle. */
export type IdentityDatabase = Database<IdentityDB>;
export type IdentityKysely = Kysely<IdentityDB>;
