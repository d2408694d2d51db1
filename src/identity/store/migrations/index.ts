import type { MigrationSet } from '../../../lib/db/migrations.js';
import { initial } from './0001-initial.js';
import { extensions } from './0002-extensions.js';
import { trusts } from './0003-trusts.js';

/** Identity schema history; append, never edit a released migration. */
export const identityMigrations: MigrationSet = {
  '0001_initial': initial,
  '0002_extensions': extensions,
  '0003_trusts': trusts,
};
