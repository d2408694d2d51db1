import type { ConsoleTables } from './console-tables.js';
import type { ResourceTables } from './resource-tables.js';
import type { ServerTables } from './server-tables.js';

/**
 * Tables of the compute service. Booleans are integers (0/1), times ISO-8601
 * text, as in every Kumo service, so one schema behaves the same on SQLite,
 * MariaDB and PostgreSQL.
 */
export interface ComputeDB extends ResourceTables, ServerTables, ConsoleTables {}
