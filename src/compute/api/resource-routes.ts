import type { FastifyInstance } from 'fastify';
import type { ResourceServicesImpl } from '../domain/resource-services-impl.js';
import { registerAggregateRoutes } from './aggregate-routes.js';
import { registerExtensionRoutes } from './extension-routes.js';
import { registerFlavorRoutes } from './flavor-routes.js';
import { registerHypervisorRoutes } from './hypervisor-routes.js';
import { registerKeypairRoutes } from './keypair-routes.js';
import { registerQuotaRoutes } from './quota-routes.js';
import { registerServerGroupRoutes } from './server-group-routes.js';
import { registerServiceRoutes } from './service-routes.js';
import { registerUsageRoutes } from './usage-routes.js';
import { registerVersionRoutes } from './version-routes.js';

/** Versions, extensions, flavors, key pairs, quotas, limits, zones, services, hypervisors, server groups, usage, aggregates. */
export function registerResourceRoutes(app: FastifyInstance, services: ResourceServicesImpl): void {
  registerVersionRoutes(app);
  registerExtensionRoutes(app);
  registerFlavorRoutes(app, services);
  registerKeypairRoutes(app, services);
  registerQuotaRoutes(app, services);
  registerServiceRoutes(app, services);
  registerHypervisorRoutes(app, services);
  registerServerGroupRoutes(app, services);
  registerAggregateRoutes(app, services);
  registerUsageRoutes(app, services);
}
