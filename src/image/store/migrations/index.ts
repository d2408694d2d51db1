import type { MigrationSet } from '../../../lib/db/migrations.js';
import { initial } from './0001-initial.js';
import { metadefs } from './0002-metadefs.js';
import { locations } from './0003-locations.js';
import { stores } from './0003-stores.js';

/** Image schema history; append, never edit a released migration. */
export const imageMigrations: MigrationSet = {
  '0001_initial': initial,
  '0002_metadefs': metadefs,
  '0003_locations': locations,
  '0004_stores': stores,
};
