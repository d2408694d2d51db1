import type { MigrationSet } from '../../../lib/db/migrations.js';
import { resources } from './0001-resources.js';
import { servers } from './0002-servers.js';
import { consoles } from './0003-consoles.js';

/** Compute schema history; append, never edit a released migration. */
export const computeMigrations: MigrationSet = {
  '0001_resources': resources,
  '0002_servers': servers,
  '0003_consoles': consoles,
};
