import type { Kysely } from 'kysely';
import type { Database } from '../../lib/db/database.js';
import type { ImageDB } from './schema.js';

/** The image service's database handle. */
export type ImageDatabase = Database<ImageDB>;
export type ImageKysely = Kysely<ImageDB>;
