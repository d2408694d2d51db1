import type { FastifyInstance } from 'fastify';
import type { KumoConfig } from '../lib/config/config.js';
import { openMigratedDatabase } from '../lib/db/migrations.js';
import { createServiceApp } from '../lib/http/app.js';
import type { TokenValidator } from '../lib/http/auth-context.js';
import type { Metrics } from '../lib/http/metrics.js';
import type { Logger } from '../lib/log.js';
import { PolicyEngine } from '../lib/policy/policy-engine.js';
import { registerAllocationRoutes } from './api/allocation-routes.js';
import { registerCandidateRoutes } from './api/candidate-routes.js';
import { registerInventoryRoutes } from './api/inventory-routes.js';
import { registerProviderExtraRoutes } from './api/provider-extra-routes.js';
import { registerProviderRoutes } from './api/provider-routes.js';
import { registerReshaperRoutes } from './api/reshaper-routes.js';
import { registerResourceClassRoutes } from './api/resource-class-routes.js';
import { registerRootRoutes } from './api/root-routes.js';
import { registerCacheHeaders, registerMethodNotAllowed, registerPlacementMicroversions } from './api/route-helpers.js';
import { registerTraitRoutes } from './api/trait-routes.js';
import { createPlacementServices, type PlacementServices } from './domain/placement-services.js';
import { PLACEMENT_POLICY } from './domain/policy-defaults.js';
import { placementMigrations } from './store/migrations/index.js';
import type { PlacementDatabase } from './store/placement-database.js';
import type { PlacementDB } from './store/schema.js';

/** A ready placement service: its database, domain services and HTTP app. */
export interface PlacementServer {
  readonly app: FastifyInstance;
  readonly services: PlacementServices;
  readonly database: PlacementDatabase;
  close(): Promise<void>;
}

export interface PlacementServerDeps {
  logger: Logger;
  metrics: Metrics;
  tokens: TokenValidator;
}

/** Placement bodies are small JSON documents; 1 MiB is generous even for a big POST /allocations. */
const BODY_LIMIT = 1024 * 1024;

export function openPlacementDatabase(config: KumoConfig): Promise<PlacementDatabase> {
  return openMigratedDatabase<PlacementDB>(config.placement.databaseUrl, 'placement', placementMigrations);
}

export async function createPlacementServer(config: KumoConfig, deps: PlacementServerDeps): Promise<PlacementServer> {
  const database = await openPlacementDatabase(config);
  try {
    const policy = await PolicyEngine.fromFile(config.placement.policyFile || undefined, PLACEMENT_POLICY);
    const services = createPlacementServices(database.db, policy, deps.logger.child({ service: 'placement' }));
    const app = createServiceApp({
      name: 'placement',
      faultStyle: 'placement',
      logger: deps.logger,
      metrics: deps.metrics,
      bodyLimit: BODY_LIMIT,
      tokens: deps.tokens,
      healthy: () => database.ping(),
    });
    registerPlacementMicroversions(app);
    registerCacheHeaders(app);
    registerRootRoutes(app);
    registerProviderRoutes(app, services);
    registerInventoryRoutes(app, services);
    registerProviderExtraRoutes(app, services);
    registerAllocationRoutes(app, services);
    registerCandidateRoutes(app, services);
    registerResourceClassRoutes(app, services);
    registerTraitRoutes(app, services);
    registerReshaperRoutes(app, services);
    registerMethodNotAllowed(app);
    return {
      app,
      services,
      database,
      async close() {
        await app.close();
        await database.close();
      },
    };
  } catch (e) {
    await database.close();
    throw e;
  }
}
