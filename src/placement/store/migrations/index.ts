import type { MigrationSet } from '../../../lib/db/migrations.js';
import { initial } from './0001-initial.js';

/** Placement schema history; append, never edit a released migration. */
export const placementMigrations: MigrationSet = {
  '0001_initial': initial,
};
