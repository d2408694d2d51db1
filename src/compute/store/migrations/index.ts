import type { MigrationSet } from '../../../lib/db/migrations.js';
import { resources } from './0001-resources.js';
import { servers } from './0002-servers.js';
import { consoles } from './0003-consoles.js';
import { computeServices } from './0004-compute-services.js';
import { networkInfo } from './0005-network-info.js';
import { serverPassword } from './0006-server-password.js';

/** Compute schema history; append, never edit a released migration (0001's table name is the one exception, see 0004). */
export const computeMigrations: MigrationSet = {
  '0001_resources': resources,
  '0002_servers': servers,
  '0003_consoles': consoles,
  '0004_compute_services': computeServices,
  '0005_network_info': networkInfo,
  '0006_server_password': serverPassword,
};
