import type { MigrationSet } from '../../../lib/db/migrations.js';
import { resources } from './0001-resources.js';

/** Network schema history; append, never edit a released migration. */
export const networkMigrations: MigrationSet = {
  '0001_resources': resources,
};
