import type { Kysely } from 'kysely';
import type { Database } from '../../lib/db/database.js';
import type { PlacementDB } from './schema.js';

/** The placement service's database handle. */
export type PlacementDatabase = Database<PlacementDB>;
export type PlacementKysely = Kysely<PlacementDB>;
