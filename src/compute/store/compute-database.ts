import type { Kysely } from 'kysely';
import type { Database } from '../../lib/db/database.js';
import type { ComputeDB } from './schema.js';

/** The compute service's database handle. */
export type ComputeDatabase = Database<ComputeDB>;
export type ComputeKysely = Kysely<ComputeDB>;
